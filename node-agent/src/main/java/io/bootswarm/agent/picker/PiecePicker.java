package io.bootswarm.agent.picker;

import java.util.OptionalInt;
import java.util.random.RandomGenerator;

/**
 * Chooses the next piece to prefetch (VMTorrent §2.2.4), for the agent and for the simulator alike.
 *
 * <p>While the access profile has pieces left, the choice is <em>window-randomized</em>: uniformly
 * at random among the first {@code window} pieces in profile order that the host neither has nor
 * is fetching (window 1 is strict profile order). Randomizing within the window gives peers that
 * start together different pieces, so that they can feed each other instead of all asking the
 * seed for the same piece. Once the profile is exhausted (or without one), and if
 * {@code fill} is on, the choice is <em>rarest first</em> among all missing pieces, ties broken at
 * random, so that the host ends with the whole image and the swarm's copies stay spread; the caller
 * may leave out the pieces no other agent holds yet ({@link #next(SwarmView, boolean)}).
 *
 * <p>Demand fetches are not chosen here: they are whatever the hypervisor reads, and always go first.
 * Not thread-safe; one picker per disk.
 */
public final class PiecePicker {

    private final int[] order;
    private final int window;
    private final boolean fill;
    private final RandomGenerator random;
    private final int[] candidates;
    private int cursor;

    /**
     * @param order  the profile's pieces, earliest predicted access first (empty: no profile)
     * @param window how many of the next predicted pieces to choose among (at least 1)
     * @param fill   after the profile, fetch the rest of the image rarest first
     */
    public PiecePicker(int[] order, int window, boolean fill, RandomGenerator random) {
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1");
        }
        this.order = order.clone();
        this.window = window;
        this.fill = fill;
        this.random = random;
        this.candidates = new int[window];
    }

    /** The next piece to prefetch, or empty when there is nothing (more) to prefetch now. */
    public OptionalInt next(SwarmView view) {
        return next(view, true);
    }

    /**
     * The next piece to prefetch, or empty when there is nothing (more) to prefetch now.
     *
     * @param orphans whether rarest-first fill may choose a piece no other agent holds (an <em>orphan</em>: only a
     *                seed has it). Without, fill chooses the rarest piece that at least one agent holds, or nothing:
     *                a prefetch of an orphan that this host may not ask the seed for waits until an agent gets it,
     *                and holds one of the disk's prefetch slots idle meanwhile
     */
    public OptionalInt next(SwarmView view, boolean orphans) {
        int found = 0;
        while (cursor < order.length && done(view, order[cursor])) {
            cursor++;
        }
        for (int i = cursor; i < order.length && found < window; i++) {
            int piece = order[i];
            if (piece >= 0 && piece < view.pieceCount() && !view.have(piece) && !view.inFlight(piece)) {
                candidates[found++] = piece;
            }
        }
        if (found > 0) {
            return OptionalInt.of(candidates[random.nextInt(found)]);
        }
        return fill ? rarest(view, orphans ? 0 : 1) : OptionalInt.empty();
    }

    /** True when the profile has nothing left to prefetch (pieces in flight may still arrive). */
    public boolean profileExhausted(SwarmView view) {
        for (int i = cursor; i < order.length; i++) {
            int piece = order[i];
            if (piece >= 0 && piece < view.pieceCount() && !view.have(piece) && !view.inFlight(piece)) {
                return false;
            }
        }
        return true;
    }

    private static boolean done(SwarmView view, int piece) {
        return piece < 0 || piece >= view.pieceCount() || view.have(piece);
    }

    private OptionalInt rarest(SwarmView view, int minHolders) {
        int best = -1;
        int bestCount = Integer.MAX_VALUE;
        int ties = 0;
        for (int i = 0; i < view.pieceCount(); i++) {
            if (view.have(i) || view.inFlight(i)) {
                continue;
            }
            int count = view.holders(i);
            if (count < minHolders) {
                continue;
            }
            if (count < bestCount) {
                best = i;
                bestCount = count;
                ties = 1;
            } else if (count == bestCount && random.nextInt(++ties) == 0) {
                best = i;
            }
        }
        return best < 0 ? OptionalInt.empty() : OptionalInt.of(best);
    }
}
