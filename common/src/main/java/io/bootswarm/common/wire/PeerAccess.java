package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.SwarmId;
import org.jspecify.annotations.Nullable;

/**
 * Decides whether a {@link PeerWireServer} serves a peer, after the BEP 3 handshake and the peer's
 * BEP 10 extended handshake and before anything of the swarm (bitfield, pieces) is sent. The peer's
 * access token is the byte string under {@value #TOKEN_KEY} in its extended handshake dictionary
 * (BEP 10 lets a handshake carry keys a client does not know; stock clients never send this one).
 */
@FunctionalInterface
public interface PeerAccess {

    /** The extended handshake key of the peer access token. */
    String TOKEN_KEY = "bootswarm_token";

    /**
     * @param swarm  the info hash of the peer's handshake
     * @param peerId the peer id of its handshake
     * @param token  the token of its extended handshake, or null when it sent none
     */
    Admission admit(SwarmId swarm, byte[] peerId, byte @Nullable [] token);

    /**
     * The decision.
     *
     * @param reason why a peer is refused (a short tag for logs and metrics), or why it is let in
     */
    record Admission(boolean admitted, String reason) {

        public static final Admission ADMITTED = new Admission(true, "token");

        public static Admission refused(String reason) {
            return new Admission(false, reason);
        }
    }

    /** Serves everyone: for tests and benchmarks that are not about access. */
    PeerAccess OPEN = (swarm, peerId, token) -> new Admission(true, "open");
}
