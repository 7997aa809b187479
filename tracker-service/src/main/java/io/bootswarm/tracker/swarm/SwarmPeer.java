package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;

/**
 * A peer handed out by an announce.
 *
 * @param peerId     40 hex digits for swarm peers; a seed's registered id for seeds
 * @param seed       a registered seed, or a peer of the asked swarm with nothing left to fetch (never
 *                   set for cross-image peers)
 * @param crossSwarm for a cross-image peer, the swarm it announced in (another image sharing pieces
 *                   with the asked one); null for peers of the asked swarm and for seeds
 */
record SwarmPeer(String peerId, String host, int port, boolean seed, SwarmId crossSwarm) {

    SwarmPeer(String peerId, String host, int port, boolean seed) {
        this(peerId, host, port, seed, null);
    }

    boolean crossImage() {
        return crossSwarm != null;
    }
}
