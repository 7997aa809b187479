package io.bootswarm.agent.picker;

import java.util.Arrays;
import java.util.Collection;
import java.util.OptionalInt;
import java.util.TreeSet;

/**
 * Which pieces this host may prefetch from the seed, so that each piece of a boot storm is
 * prefetched from the seed by about one agent and reaches the others through the swarm.
 *
 * <p>Rendezvous (highest-random-weight) hashing over the agents this host knows in the swarm and
 * itself: the host whose {@code score(id, piece)} is highest owns the piece. Where all agents know
 * each other, every piece has exactly one owner. With partial views (swarms larger than the tracker
 * names peers, ~200) the agent of highest score among the whole swarm still sees itself as owner,
 * so no piece is left without one (each would otherwise be fetched by every agent from the seed
 * once its wait for an owner ran out, all at once), and an agent takes a piece that is not its own
 * only when the true owner is outside its view: about {@code N / size} owners per piece. That is
 * still far fewer than the ~k agents of a window-randomized prefetch that ask the seed for the same
 * piece at once (VMTorrent §4.5: the seed's upload split over every agent's prefetches is what
 * starves them). Scores of consecutive pieces are unrelated, so each owner's share is spread over
 * the whole boot.
 *
 * <p>Immutable but for a memo of answers, filled as pieces are asked about; safe for concurrent use.
 */
public final class SeedPartition {

    /** A host alone (or that knows no other agent): it owns every piece. */
    public static final SeedPartition ALONE = new SeedPartition(new String[] {""}, 0);

    private static final byte UNKNOWN = 0;
    private static final byte OWN = 1;
    private static final byte OTHER = 2;

    /** Every id ranked, this host's included, in id order. */
    private final String[] ids;
    private final long[] keys;
    private final int rank;
    private volatile byte[] memo = new byte[0];

    private SeedPartition(String[] ids, int rank) {
        this.ids = ids;
        this.rank = rank;
        this.keys = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            keys[i] = key(ids[i]);
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
        if (ids.size() == 1) {
            return ALONE;
        }
        return new SeedPartition(ids.toArray(String[]::new), ids.headSet(self).size());
    }

    /** This host's place among the ids in id order, 0-based. */
    public int rank() {
        return rank;
    }

    /** How many ids were ranked, this host's included. */
    public int size() {
        return ids.length;
    }

    /** Whether {@code id} is among the ids ranked. */
    public boolean includes(String id) {
        return Arrays.binarySearch(ids, id) >= 0;
    }

    /** True when this host is the one that may prefetch {@code piece} from the seed. */
    public boolean owns(int piece) {
        if (ids.length == 1) {
            return true;
        }
        byte[] m = memo;
        if (piece < m.length && m[piece] != UNKNOWN) {
            return m[piece] == OWN;
        }
        boolean own = ownerRank(piece) == rank;
        remember(piece, own ? OWN : OTHER);
        return own;
    }

    /** The rank (place in id order) of the id that owns {@code piece} in this host's view. */
    public int ownerRank(int piece) {
        long p = mix(piece);
        int best = 0;
        long bestScore = Long.MIN_VALUE;
        for (int i = 0; i < keys.length; i++) {
            long s = mix64(keys[i] ^ p);
            if (s > bestScore) {
                bestScore = s;
                best = i;
            }
        }
        return best;
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

    private synchronized void remember(int piece, byte answer) {
        byte[] m = memo;
        if (piece >= m.length) {
            m = Arrays.copyOf(m, Math.max(piece + 1, m.length * 2));
        }
        m[piece] = answer;
        memo = m;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SeedPartition other && rank == other.rank && Arrays.equals(ids, other.ids);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(ids) + rank;
    }

    @Override
    public String toString() {
        return "SeedPartition[rank=" + rank + ", size=" + ids.length + "]";
    }

    /** 64 bits of an id (FNV-1a over its chars, then mixed). */
    private static long key(String id) {
        long h = 0xCBF29CE484222325L;
        for (int i = 0; i < id.length(); i++) {
            h = (h ^ id.charAt(i)) * 0x100000001B3L;
        }
        return mix64(h);
    }

    /** SplitMix64's finalizer of a piece index. */
    static long mix(int piece) {
        return mix64(piece + 0x9E3779B97F4A7C15L);
    }

    private static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
