package io.bootswarm.tracker.swarm;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/**
 * Answer of {@code POST /api/v1/announce}.
 *
 * @param interval   seconds until the peer should announce again
 * @param complete   live peers with the whole image, seeds included
 * @param incomplete live peers still fetching
 * @param peers      every live seed, then up to numWant other live peers of the swarm (never the asker)
 */
@Schema(description = "Peers of the swarm")
record AnnounceResponse(long interval, int complete, int incomplete, List<PeerView> peers) {

    /**
     * One peer to dial.
     *
     * @param peerId 40 hex digits, or a seed's registered id
     * @param seed   a registered seed, or a peer that has the whole image
     */
    @Schema(description = "A peer to dial")
    record PeerView(String peerId, String host, int port, boolean seed) {
    }

    static AnnounceResponse of(AnnounceResult r) {
        return new AnnounceResponse(r.interval().toSeconds(), r.complete(), r.incomplete(),
                r.peers().stream().map(p -> new PeerView(p.peerId(), p.host(), p.port(), p.seed())).toList());
    }
}
