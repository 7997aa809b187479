package io.bootswarm.agent.swarm;

import io.bootswarm.common.manifest.SwarmId;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

/** Tells the tracker where this host stands in a swarm and learns the swarm's other peers. */
@FunctionalInterface
public interface Announcer {

    /**
     * @param event {@code started}, {@code completed}, {@code stopped}, or null for a periodic announce
     */
    record Announce(SwarmId swarm, byte[] peerId, int port, long left, long uploaded, long downloaded,
                    String event) {
    }

    /**
     * @param interval how long until the tracker expects the next announce
     * @param agentIds the peer ids of the swarm's own agents among {@code peers} (not seeds, not peers of
     *                 other images), as the tracker names them: what this host ranks itself among for
     *                 {@link io.bootswarm.agent.picker.SeedPartition} (empty when unknown)
     * @param peerToken the tracker's peer access token for this swarm and our peer id
     *                  ({@link io.bootswarm.common.peertoken.PeerToken} encoded), presented in the BEP 10
     *                  extended handshake to every peer dialled; null when the tracker sent none
     */
    record Result(Duration interval, List<Peer> peers, List<String> agentIds, byte[] peerToken) {

        public Result {
            agentIds = agentIds == null ? List.of() : List.copyOf(agentIds);
            peerToken = peerToken == null ? null : peerToken.clone();
        }

        public Result(Duration interval, List<Peer> peers, List<String> agentIds) {
            this(interval, peers, agentIds, null);
        }

        /** An answer that names no agent ids (this host then owns every piece). */
        public Result(Duration interval, List<Peer> peers) {
            this(interval, peers, List.of());
        }

        @Override
        public byte[] peerToken() {
            return peerToken == null ? null : peerToken.clone();
        }
    }

    Result announce(Announce announce) throws IOException;
}
