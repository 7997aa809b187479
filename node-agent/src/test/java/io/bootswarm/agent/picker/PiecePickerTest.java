package io.bootswarm.agent.picker;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class PiecePickerTest {

    /** A swarm view over plain sets. */
    static final class View implements SwarmView {
        final int pieces;
        final Set<Integer> have = new HashSet<>();
        final Set<Integer> inFlight = new HashSet<>();
        final Map<Integer, Integer> holders = new HashMap<>();

        View(int pieces) {
            this.pieces = pieces;
        }

        @Override
        public int pieceCount() {
            return pieces;
        }

        @Override
        public boolean have(int piece) {
            return have.contains(piece);
        }

        @Override
        public boolean inFlight(int piece) {
            return inFlight.contains(piece);
        }

        @Override
        public int holders(int piece) {
            return holders.getOrDefault(piece, 0);
        }
    }

    @Test
    void windowOneFollowsTheProfileInOrderSkippingWhatIsHereOrOnItsWay() {
        View v = new View(10);
        PiecePicker p = new PiecePicker(new int[]{5, 2, 8, 1}, 1, false, new Random(1));
        assertThat(p.next(v)).hasValue(5);
        v.inFlight.add(5);
        assertThat(p.next(v)).hasValue(2);
        v.have.add(2);
        v.inFlight.remove(5);
        v.have.add(5);
        assertThat(p.next(v)).hasValue(8);
        v.have.addAll(Set.of(8, 1));
        assertThat(p.next(v)).isEmpty();
        assertThat(p.profileExhausted(v)).isTrue();
    }

    @Test
    void choicesStayWithinTheFirstKMissingPiecesAndCoverThemUniformly() {
        View v = new View(100);
        int[] order = new int[50];
        for (int i = 0; i < order.length; i++) {
            order[i] = 99 - i;
        }
        v.have.add(99); // not counted in the window
        PiecePicker p = new PiecePicker(order, 4, false, new Random(2));
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 40_000; i++) {
            int piece = p.next(v).orElseThrow();
            counts.merge(piece, 1, Integer::sum);
        }
        assertThat(counts.keySet()).containsExactlyInAnyOrder(98, 97, 96, 95);
        counts.values().forEach(n -> assertThat(n).isBetween(9_500, 10_500));
    }

    @Test
    void piecesOutsideTheImageInAProfileAreIgnored() {
        View v = new View(4);
        PiecePicker p = new PiecePicker(new int[]{7, -1, 3}, 2, false, new Random(3));
        assertThat(p.next(v)).hasValue(3);
    }

    @Test
    void afterTheProfileFillTakesTheRarestMissingPiece() {
        View v = new View(6);
        v.have.addAll(Set.of(0, 1));
        v.holders.putAll(Map.of(2, 3, 3, 1, 4, 2, 5, 1));
        v.inFlight.add(5);
        PiecePicker p = new PiecePicker(new int[]{0, 1}, 3, true, new Random(4));
        assertThat(p.profileExhausted(v)).isTrue();
        assertThat(p.next(v)).hasValue(3);
        v.have.add(3);
        assertThat(p.next(v)).hasValue(4);
        PiecePicker noFill = new PiecePicker(new int[]{0, 1}, 3, false, new Random(4));
        assertThat(noFill.next(v)).isEmpty();
    }

    @Test
    void rarestTiesAreBrokenAtRandom() {
        View v = new View(8);
        PiecePicker p = new PiecePicker(new int[0], 1, true, new Random(5));
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            OptionalInt n = p.next(v);
            seen.add(n.orElseThrow());
        }
        assertThat(seen).hasSize(8);
    }

    @Test
    void fillWithoutOrphansTakesTheRarestPieceAnAgentHoldsAndNothingWhileNoAgentHoldsOne() {
        View v = new View(6);
        PiecePicker p = new PiecePicker(new int[0], 1, true, new Random(4));
        assertThat(p.next(v, false)).as("no agent holds any piece").isEmpty();
        assertThat(p.next(v, true)).as("with orphans: a piece only the seed has").isPresent();

        v.holders.put(3, 2);
        v.holders.put(4, 1);
        v.holders.put(5, 3);
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            counts.merge(p.next(v, false).orElseThrow(), 1, Integer::sum);
        }
        assertThat(counts).as("the rarest of the pieces an agent holds, never an orphan").containsOnlyKeys(4);
        assertThat(p.next(v, true).orElseThrow()).as("orphans are rarer still").isBetween(0, 2);

        v.inFlight.add(4);
        assertThat(p.next(v, false)).hasValue(3);
        v.have.addAll(Set.of(3, 5));
        assertThat(p.next(v, false)).isEmpty();
    }
}
