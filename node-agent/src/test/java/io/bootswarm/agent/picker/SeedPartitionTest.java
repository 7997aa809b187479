package io.bootswarm.agent.picker;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class SeedPartitionTest {

    private static List<String> ids(int n, long seed) {
        Random r = new Random(seed);
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] id = new byte[20];
            r.nextBytes(id);
            ids.add(HexFormat.of().formatHex(id));
        }
        return ids;
    }

    /** Each agent's partition as it would compute it knowing all the others. */
    private static List<SeedPartition> everyone(List<String> ids) {
        List<SeedPartition> parts = new ArrayList<>();
        for (String self : ids) {
            parts.add(SeedPartition.of(self, ids.stream().filter(i -> !i.equals(self)).toList()));
        }
        return parts;
    }

    @Test
    void everyPieceIsOwnedByExactlyOneAgentWhenAllKnowEachOther() {
        for (int n : new int[] {1, 2, 3, 16, 100, 1024}) {
            List<SeedPartition> parts = everyone(ids(n, n));
            assertThat(parts).extracting(SeedPartition::rank).doesNotHaveDuplicates();
            assertThat(parts).allSatisfy(p -> assertThat(p.size()).isEqualTo(n));
            int[] owned = new int[n];
            int pieces = n > 100 ? 2048 : 16_384;
            for (int piece = 0; piece < pieces; piece++) {
                int owners = 0;
                for (int a = 0; a < n; a++) {
                    if (parts.get(a).owns(piece)) {
                        owners++;
                        owned[a]++;
                    }
                }
                assertThat(owners).as("owners of piece %d among %d agents", piece, n).isEqualTo(1);
            }
            double share = (double) pieces / n;
            for (int count : owned) {
                assertThat(Math.abs(count - share)).as("pieces an agent owns, %d agents", n)
                        .isLessThanOrEqualTo(Math.max(6, 5 * Math.sqrt(share)));
            }
        }
    }

    @Test
    void rankDoesNotDependOnTheOrderPeersAreListedInNorOnDuplicatesOrSelf() {
        List<String> ids = ids(50, 7);
        String self = ids.get(17);
        List<String> others = new ArrayList<>(ids);
        others.remove(self);
        SeedPartition first = SeedPartition.of(self, others);
        for (long seed = 0; seed < 20; seed++) {
            List<String> shuffled = new ArrayList<>(others);
            Collections.shuffle(shuffled, new Random(seed));
            shuffled.add(shuffled.get(3));
            shuffled.add(self);
            assertThat(SeedPartition.of(self, shuffled)).isEqualTo(first);
        }
        assertThat(first.size()).isEqualTo(50);
        assertThat(first.rank()).isEqualTo((int) ids.stream().filter(i -> i.compareTo(self) < 0).count());
    }

    @Test
    void aHostThatKnowsNoAgentOwnsEveryPiece() {
        SeedPartition alone = SeedPartition.of("ab", List.of());
        assertThat(alone).isEqualTo(SeedPartition.ALONE);
        for (int piece = 0; piece < 1000; piece++) {
            assertThat(alone.owns(piece)).isTrue();
        }
    }

    @Test
    void consecutivePiecesSpreadOverTheRanks() {
        SeedPartition p = SeedPartition.of("a", List.of("b", "c", "d"));
        int[] perRank = new int[4];
        for (int piece = 0; piece < 64; piece++) {
            perRank[p.ownerRank(piece)]++;
        }
        for (int c : perRank) {
            assertThat(c).isBetween(8, 24);
        }
        assertThat(p.ownerRank(0) == p.ownerRank(1) && p.ownerRank(1) == p.ownerRank(2)
                && p.ownerRank(2) == p.ownerRank(3)).isFalse();
    }

    @Test
    void withPartialViewsEveryPieceStillHasAnOwnerAndFewOwnersEach() {
        int n = 1024;
        int view = 200;
        List<String> ids = ids(n, 11);
        Random r = new Random(5);
        List<SeedPartition> parts = new ArrayList<>();
        for (String self : ids) {
            List<String> others = new ArrayList<>(ids);
            others.remove(self);
            Collections.shuffle(others, r);
            parts.add(SeedPartition.of(self, others.subList(0, view)));
        }
        long total = 0;
        for (int piece = 0; piece < 2048; piece++) {
            int owners = 0;
            for (SeedPartition p : parts) {
                if (p.owns(piece)) {
                    owners++;
                }
            }
            assertThat(owners).as("owners of piece %d", piece).isPositive();
            total += owners;
        }
        // an agent claims a piece when it beats the 200 it knows: about n / (view + 1) = 5.1 owners a piece
        assertThat(total / 2048.0).isBetween(3.5, 7.0);
    }

    @Test
    void nextOwnedFollowsProfileOrderPastThePiecesHeldOrInFlight() {
        SeedPartition p = SeedPartition.of("b", List.of("a", "c"));
        int[] order = new int[300];
        for (int i = 0; i < order.length; i++) {
            order[i] = order.length - 1 - i;
        }
        List<Integer> mine = new ArrayList<>();
        for (int piece : order) {
            if (p.owns(piece)) {
                mine.add(piece);
            }
        }
        PiecePickerTest.View view = new PiecePickerTest.View(300);
        assertThat(p.nextOwned(order, view)).hasValue(mine.get(0));
        view.have.add(mine.get(0));
        view.inFlight.add(mine.get(1));
        assertThat(p.nextOwned(order, view)).hasValue(mine.get(2));
        mine.forEach(view.have::add);
        assertThat(p.nextOwned(order, view)).isEmpty();
    }
}
