package io.bootswarm.agent.swarm;

/**
 * A peer as the tracker names it.
 *
 * @param seed true for a seed-service instance (holds every piece; asked last, to spare it)
 */
public record Peer(String host, int port, boolean seed) {
    @Override
    public String toString() {
        return host + ":" + port + (seed ? " (seed)" : "");
    }
}
