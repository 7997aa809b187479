package io.bootswarm.tracker.swarm;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;

/**
 * Answer of {@code POST /api/v1/announce}.
 *
 * @param interval   seconds until the peer should announce again
 * @param complete   live peers with the whole image, seeds included
 * @param incomplete live peers still fetching
 * @param peers      every live seed, then up to numWant other live peers: those of the swarm first, then
 *                   cross-image peers (never the asker)
 */
@Schema(description = "Peers of the swarm")
record AnnounceResponse(long interval, int complete, int incomplete, List<PeerView> peers) {

    /**
     * One peer to dial.
     *
     * @param peerId     40 hex digits, or a seed's registered id
     * @param seed       a registered seed, or a peer of this swarm that has the whole image
     * @param crossImage a peer of another image's swarm that shares pieces with this one
     * @param swarmId    for a cross-image peer, the swarm it is in (absent otherwise)
     */
    @Schema(description = "A peer to dial")
    record PeerView(String peerId, String host, int port, boolean seed,
                    @Schema(description = "A peer of another image that shares pieces with this swarm's image: "
                            + "dial it with this swarm's id, and it serves the pieces of this image it holds")
                    boolean crossImage,
                    @Schema(description = "The swarm a cross-image peer is in (40 hex digits); absent for the "
                            + "swarm's own peers and seeds", nullable = true)
                    @JsonInclude(JsonInclude.Include.NON_NULL) String swarmId) {
    }

    static AnnounceResponse of(AnnounceResult r) {
        return new AnnounceResponse(r.interval().toSeconds(), r.complete(), r.incomplete(),
                r.peers().stream().map(p -> new PeerView(p.peerId(), p.host(), p.port(), p.seed(), p.crossImage(),
                        p.crossImage() ? p.crossSwarm().hex() : null)).toList());
    }
}
