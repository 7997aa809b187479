package io.bootswarm.common.picker;

import java.util.Collection;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Which pieces this host may prefetch from the seed, so that each piece of a boot storm is
 * prefetched from the seed by about one agent and reaches the others through the swarm.
 *
 * <p>The hosts an agent knows in the swarm and the agent itself are ranked by id (a total order,
 * so the rank does not depend on the order the tracker lists them in); with {@code size} ids, the
 * host of rank r owns piece p when {@code mix(p) mod size == r}. Every piece is owned by exactly one
 * rank; where all agents know each other, by exactly one agent. With partial views (large swarms)
 * about {@code N / size} agents own each piece, still far fewer than the ~k agents of a
 * window-randomized prefetch that ask the seed for the same piece at once (VMTorrent §4.5: the
 * seed's upload split over every agent's prefetches is what starves them). {@code mix} scatters a
 * profile's consecutive pieces over the ranks, so each owner's share is spread over the whole boot.
 *
 * @param rank this host's place among the ids, 0-based
 * @param size how many ids were ranked (this host included)
 */
public record SeedPartition(int rank, int size) {

    /** A host alone (or that knows no other agent): it owns every piece. */
    public static final SeedPartition ALONE = new SeedPartition(0, 1);

    public SeedPartition {
        if (size < 1 || rank < 0 || rank >= size) {
            throw new IllegalArgumentException("rank " + rank + " of " + size);
        }
    }

    /**
     * This host's partition among the agents it knows.
     *
     * @param self  this host's id as the other agents know it
     * @param known the other agents' ids (any order; duplicates and {@code self} ignored)
     */
    public static SeedPartition of(String self, Collection<String> known) {
        TreeSet<String> ids = new TreeSet<>(known);
        ids.add(self);
        return new SeedPartition(ids.headSet(self).size(), ids.size());
    }

    /** True when this host is the one that may prefetch {@code piece} from the seed. */
    public boolean owns(int piece) {
        return ownerRank(piece) == rank;
    }

    /** The rank that owns {@code piece}, in this host's ranking. */
    public int ownerRank(int piece) {
        return (int) Math.floorMod(mix(piece), (long) size);
    }

    /**
     * The first piece of {@code order} (the access profile, earliest first) this host owns and
     * neither has nor is fetching.
     */
    public OptionalInt nextOwned(int[] order, SwarmView view) {
        for (int piece : order) {
            if (piece >= 0 && piece < view.pieceCount() && owns(piece) && !view.have(piece) && !view.inFlight(piece)) {
                return OptionalInt.of(piece);
            }
        }
        return OptionalInt.empty();
    }

    /** SplitMix64's finalizer: consecutive pieces land on unrelated ranks. */
    static long mix(int piece) {
        long z = piece + 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
