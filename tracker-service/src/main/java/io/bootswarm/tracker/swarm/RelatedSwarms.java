package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;

import java.util.List;

/**
 * The swarms of the other images that share pieces with a swarm's image (seed-service knows them:
 * pieces are named by content). Their peers can serve the swarm's shared pieces, so an announce
 * hands them out as cross-image peers.
 */
@FunctionalInterface
interface RelatedSwarms {

    /** A related swarm and how many distinct non-zero pieces its image shares with the asked one. */
    record Related(SwarmId swarm, long sharedPieces) {
    }

    /** The related swarms, most shared first; empty when unknown or when seed-service cannot say. Never throws. */
    List<Related> of(SwarmId swarm);
}
