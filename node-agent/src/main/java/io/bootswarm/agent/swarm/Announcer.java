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

    /** @param interval how long until the tracker expects the next announce */
    record Result(Duration interval, List<Peer> peers) {
    }

    Result announce(Announce announce) throws IOException;
}
