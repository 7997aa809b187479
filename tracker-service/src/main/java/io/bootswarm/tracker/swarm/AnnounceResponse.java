package io.bootswarm.tracker.swarm;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.swagger.v3.oas.annotations.media.Schema;

import io.bootswarm.common.peertoken.PeerToken;

import java.time.Instant;
import java.util.List;

/**
 * Answer of {@code POST /api/v1/announce}.
 *
 * @param interval   seconds until the peer should announce again
 * @param complete   live peers with the whole image, seeds included
 * @param incomplete live peers still fetching
 * @param peers      every live seed, then up to numWant other live peers: those of the swarm first, then
 *                   cross-image peers (never the asker)
 * @param peerToken  the peer access token for this swarm and the asker's peer id (base64url), absent on stopped
 * @param peerTokenExpiresAt when it expires
 */
@Schema(description = "Peers of the swarm")
record AnnounceResponse(long interval, int complete, int incomplete, List<PeerView> peers,
                        @Schema(description = "Peer access token (base64url) binding this swarm, the asker's peer id "
                                + "and an expiry, signed by the tracker: send its bytes as `bootswarm_token` in the "
                                + "BEP 10 extended handshake to the peers of this swarm. Absent on 'stopped'",
                                nullable = true)
                        @JsonInclude(JsonInclude.Include.NON_NULL) String peerToken,
                        @Schema(description = "When peerToken expires", nullable = true)
                        @JsonInclude(JsonInclude.Include.NON_NULL) Instant peerTokenExpiresAt) {

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

    static AnnounceResponse of(AnnounceResult r, PeerToken token) {
        return new AnnounceResponse(r.interval().toSeconds(), r.complete(), r.incomplete(),
                r.peers().stream().map(p -> new PeerView(p.peerId(), p.host(), p.port(), p.seed(), p.crossImage(),
                        p.crossImage() ? p.crossSwarm().hex() : null)).toList(),
                token == null ? null : token.toBase64(), token == null ? null : token.expiresAt());
    }
}
