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
     *                 {@link io.bootswarm.common.picker.SeedPartition} (empty when unknown)
     */
    record Result(Duration interval, List<Peer> peers, List<String> agentIds) {

        public Result {
            agentIds = agentIds == null ? List.of() : List.copyOf(agentIds);
        }

        /** An answer that names no agent ids (this host then owns every piece). */
        public Result(Duration interval, List<Peer> peers) {
            this(interval, peers, List.of());
        }
    }

    Result announce(Announce announce) throws IOException;
}
