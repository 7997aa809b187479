package io.bootswarm.profile.model;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * VMTorrent §2.2.3 on known runs: first-access times per run ({@link FirstAccess}), then per piece the
 * sum of first-access times and the count of runs (what the store's upsert keeps), then the rows in
 * profile order with their means and shares ({@link ProfileRow}).
 */
class ProfileArithmeticTest {

    private static final int PIECE = 4096;
    private static final TraceLimits LIMITS = new TraceLimits(64L << 20, 7L * 24 * 3600 * 1_000_000, 1 << 20);

    /** (time µs, offset, length) triples. */
    private static long[] reads(long... triples) {
        return triples;
    }

    /** What the store keeps: piece -> {sum of first-access µs, runs}. */
    private static List<ProfileRow> profile(TraceRun... runs) {
        Map<Integer, long[]> acc = new TreeMap<>();
        for (TraceRun run : runs) {
            for (int i = 0; i < run.pieces().length; i++) {
                long[] a = acc.computeIfAbsent(run.pieces()[i], p -> new long[2]);
                a[0] += run.firstAccessMicros()[i];
                a[1]++;
            }
        }
        List<ProfileRow> rows = new ArrayList<>();
        acc.forEach((piece, a) -> rows.add(new ProfileRow(piece, a[0], (int) a[1])));
        rows.sort(ProfileRow.ORDER);
        return rows;
    }

    @Test
    void threeRunsGiveOrderMeansAndShares() throws Exception {
        // run A: piece 0 at 0 s; one read over pieces 2 and 3 at 1 s; piece 1 at 5 s
        TraceRun a = FirstAccess.compute(reads(
                0, 0, 4096,
                1_000_000, 8192, 8192,
                5_000_000, 4096, 1), PIECE, -1, LIMITS);
        // run B, lines not in time order: piece 0 at 0, piece 1 at 3 s, piece 5 at 4 s, piece 2 at 2 s
        TraceRun b = FirstAccess.compute(reads(
                0, 0, 512,
                3_000_000, 4096, 4096,
                4_000_000, 5 * 4096, 4096,
                2_000_000, 8192, 100), PIECE, -1, LIMITS);
        // run C: piece 0 at 10 ms, piece 3 at 7 s, piece 1 at 1 s, piece 0 again later
        TraceRun c = FirstAccess.compute(reads(
                10_000, 0, 4096,
                7_000_000, 3 * 4096, 4096,
                1_000_000, 4096, 4096,
                8_000_000, 0, 4096), PIECE, -1, LIMITS);

        assertThat(a.pieces()).containsExactly(0, 1, 2, 3);
        assertThat(a.firstAccessMicros()).containsExactly(0, 5_000_000, 1_000_000, 1_000_000);
        assertThat(b.pieces()).containsExactly(0, 1, 2, 5);
        assertThat(b.firstAccessMicros()).containsExactly(0, 3_000_000, 2_000_000, 4_000_000);
        assertThat(c.firstAccessMicros()).containsExactly(10_000, 1_000_000, 7_000_000);
        assertThat(c.durationMicros()).isEqualTo(8_000_000);
        assertThat(c.readCount()).isEqualTo(4);

        List<ProfileRow> rows = profile(a, b, c);
        // means: 0 -> 3.333 ms, 2 -> 1500 ms, 1 -> 3000 ms, 3 -> 4000 ms, 5 -> 4000 ms (tie: by piece)
        assertThat(rows).extracting(ProfileRow::piece).containsExactly(0, 2, 1, 3, 5);
        assertThat(rows).extracting(ProfileRow::meanFirstAccessMillis)
                .containsExactly(10.0 / 3, 1500.0, 3000.0, 4000.0, 4000.0);
        assertThat(rows).extracting(r -> r.share(3)).containsExactly(1.0, 2.0 / 3, 1.0, 2.0 / 3, 1.0 / 3);
        assertThat(rows).extracting(ProfileRow::meanFirstAccessMillisRounded).containsExactly(3L, 1500L, 3000L,
                4000L, 4000L);
        ProfileRow piece2 = rows.get(1);
        assertThat(piece2.firstAccessSumMicros()).isEqualTo(3_000_000);
        assertThat(piece2.runs()).isEqualTo(2);
    }

    @Test
    void aReadTouchesEveryPieceItOverlaps() throws Exception {
        // [4095, 4095 + 4098) = bytes 4095..8192: pieces 0, 1 and 2
        TraceRun run = FirstAccess.compute(reads(7, 4095, 4098), PIECE, -1, LIMITS);
        assertThat(run.pieces()).containsExactly(0, 1, 2);
        assertThat(run.firstAccessMicros()).containsExactly(7, 7, 7);
        // exactly one piece: [4096, 8192)
        assertThat(FirstAccess.compute(reads(7, 4096, 4096), PIECE, -1, LIMITS).pieces()).containsExactly(1);
        // a read ending on the last byte of the image
        assertThat(FirstAccess.compute(reads(7, 10 * 4096 - 1, 1), PIECE, 10 * 4096, LIMITS).pieces())
                .containsExactly(9);
    }

    @Test
    void aReadOfNoBytesTouchesNothing() throws Exception {
        TraceRun run = FirstAccess.compute(reads(1, 4096, 0, 9, 8192, 1, 20, 10 * 4096, 0), PIECE, 10 * 4096, LIMITS);
        assertThat(run.readCount()).isEqualTo(3);
        assertThat(run.pieces()).containsExactly(2);
        assertThat(run.firstAccessMicros()).containsExactly(9);
        assertThat(run.durationMicros()).isEqualTo(20);
        assertThat(FirstAccess.compute(reads(1, 0, 0), PIECE, -1, LIMITS).piecesTouched()).isZero();
    }

    @Test
    void theEarliestReadOfAPieceIsItsFirstAccessWhateverTheOrder() throws Exception {
        TraceRun run = FirstAccess.compute(reads(
                900, 0, 10,
                300, 100, 10,
                600, 4096, 4096,
                200, 5000, 10), PIECE, -1, LIMITS);
        assertThat(run.pieces()).containsExactly(0, 1);
        assertThat(run.firstAccessMicros()).containsExactly(300, 200);
        assertThat(run.durationMicros()).isEqualTo(900);
    }

    @Test
    void meansCompareExactly() {
        // 1/3 vs 333_333/1_000_000: close in floating point, different as fractions
        ProfileRow third = new ProfileRow(7, 1, 3);
        ProfileRow almost = new ProfileRow(1, 333_333, 1_000_000);
        assertThat(ProfileRow.ORDER.compare(almost, third)).isNegative();
        // sums near the top of 63 bits do not overflow the comparison
        ProfileRow big = new ProfileRow(2, Long.MAX_VALUE - 1, 1_000_000);
        ProfileRow bigger = new ProfileRow(3, Long.MAX_VALUE, 1_000_000);
        assertThat(ProfileRow.ORDER.compare(big, bigger)).isNegative();
        assertThat(ProfileRow.ORDER.compare(bigger, big)).isPositive();
        // equal means: the lower piece first
        assertThat(ProfileRow.ORDER.compare(new ProfileRow(5, 2, 2), new ProfileRow(4, 3, 3))).isPositive();
        assertThat(new ProfileRow(1, 2_000, 3).meanFirstAccessMillis()).isCloseTo(0.6667, within(1e-4));
    }

    @Test
    void absurdReadsAreRejectedWithTheirIndex() {
        record Case(long[] reads, long imageSize, String message) {
        }
        List<Case> cases = List.of(
                new Case(reads(0, 0, 1, -1, 0, 1), -1, "time -1"),
                new Case(reads(LIMITS.maxTimeMicros() + 1, 0, 1), -1, "time"),
                new Case(reads(0, -4096, 1), -1, "offset -4096 is negative"),
                new Case(reads(0, 0, -5), -1, "length -5"),
                new Case(reads(0, 0, (64L << 20) + 1), -1, "length"),
                new Case(reads(0, Long.MAX_VALUE - 10, 4096), -1, "overflows"),
                new Case(reads(0, 0, 8192, 0, 8192, 1), 8192, "ends beyond the image's 8192 bytes"),
                new Case(reads(0, (long) Integer.MAX_VALUE * PIECE + PIECE, 1), -1, "largest piece index"));
        for (Case c : cases) {
            try {
                FirstAccess.compute(c.reads(), PIECE, c.imageSize(), LIMITS);
                throw new AssertionError("accepted " + java.util.Arrays.toString(c.reads()));
            } catch (InvalidTraceException e) {
                assertThat(e.getMessage()).as(java.util.Arrays.toString(c.reads())).contains(c.message());
                assertThat(e.readIndex()).isEqualTo(c.reads().length / 3 - 1);
            }
        }
    }

    @Test
    void tooManyPiecesBadShapesAndPieceSizesAreRejected() {
        TraceLimits few = new TraceLimits(1 << 20, 1_000_000, 3);
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> FirstAccess.compute(reads(0, 0, 4 * 4096), PIECE, -1, few)))
                .isInstanceOf(InvalidTraceException.class).hasMessageContaining("more than 3 pieces");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> FirstAccess.compute(new long[]{0, 0}, PIECE, -1, LIMITS)))
                .isInstanceOf(InvalidTraceException.class).hasMessageContaining("triples");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> FirstAccess.check(reads(0, 0, 1), 0, LIMITS)))
                .isInstanceOf(InvalidTraceException.class).hasMessageContaining("piece size 0");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(
                () -> FirstAccess.check(reads(0, 0, 1), TraceLimits.MAX_PIECE_SIZE + 1, LIMITS)))
                .isInstanceOf(InvalidTraceException.class).hasMessageContaining("piece size");
    }
}
