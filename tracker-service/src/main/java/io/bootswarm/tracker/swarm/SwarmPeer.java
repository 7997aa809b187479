package io.bootswarm.tracker.swarm;

/**
 * A peer handed out by an announce.
 *
 * @param peerId 40 hex digits for swarm peers; a seed's registered id for seeds
 * @param seed   a registered seed, or a peer with nothing left to fetch
 */
record SwarmPeer(String peerId, String host, int port, boolean seed) {
}
