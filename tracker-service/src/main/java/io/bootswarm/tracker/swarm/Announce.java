package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;

import java.util.Objects;

/**
 * One announce, whichever protocol it came in by, already validated.
 *
 * @param swarm      the swarm (info hash)
 * @param peerId     the announcing peer's id, 40 lowercase hex digits
 * @param host       its address as peers should dial it
 * @param port       its peer wire port
 * @param left       bytes it still lacks; 0 makes it a seed
 * @param numWant    peers it wants, or -1 for the default
 */
record Announce(SwarmId swarm, String peerId, String host, int port, long left, long uploaded, long downloaded,
                AnnounceEvent event, int numWant) {

    Announce {
        Objects.requireNonNull(swarm, "swarm");
        Objects.requireNonNull(peerId, "peerId");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(event, "event");
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("port must be 1-65535, got " + port);
        }
        if (left < 0 || uploaded < 0 || downloaded < 0) {
            throw new IllegalArgumentException("left, uploaded and downloaded must not be negative");
        }
    }
}
