package io.bootswarm.bench.trace;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An access profile (VMTorrent §2.2.3) built from previous runs, with profile-service's arithmetic
 * (its {@code FirstAccess} and {@code ProfileRow}, re-done here in a few lines so that the lab does
 * not depend on that Spring application): per run, a piece's first-access time is the earliest read
 * touching it; a profile row is a piece's mean first-access time over the runs that read it and the
 * share of runs that did; rows are ordered by mean time, ties by piece. Agents prefetch in this order.
 *
 * @param rows in profile order
 * @param runs runs the profile was built from
 */
public record Profile(List<Row> rows, int runs) {

    /** One piece's standing: mean first access in seconds, share of runs in (0, 1]. */
    public record Row(int piece, double meanSeconds, double share) {
    }

    /** Builds a profile from runs given as flattened triples (µs, offset, length), as an agent's AccessRecorder gives them. */
    public static Profile fromRecorded(List<long[]> runs, int pieceSize) {
        Map<Integer, long[]> sums = new HashMap<>(); // piece -> {sum of first-access µs, runs}
        for (long[] reads : runs) {
            Map<Integer, Long> first = new HashMap<>();
            for (int i = 0; i + 2 < reads.length; i += 3) {
                long micros = reads[i];
                long offset = reads[i + 1];
                long length = reads[i + 2];
                if (length <= 0) {
                    continue;
                }
                for (long p = offset / pieceSize; p <= (offset + length - 1) / pieceSize; p++) {
                    first.merge((int) p, micros, Math::min);
                }
            }
            first.forEach((piece, micros) -> {
                long[] s = sums.computeIfAbsent(piece, k -> new long[2]);
                s[0] += micros;
                s[1]++;
            });
        }
        List<Row> rows = new ArrayList<>(sums.size());
        sums.forEach((piece, s) -> rows.add(new Row(piece, s[0] / (double) s[1] / 1e6, s[1] / (double) runs.size())));
        rows.sort(Comparator.comparingDouble(Row::meanSeconds).thenComparingInt(Row::piece));
        return new Profile(List.copyOf(rows), runs.size());
    }

    /** Builds a profile from traces (their reads as the runs). */
    public static Profile fromTraces(List<Trace> traces, int pieceSize) {
        List<long[]> runs = new ArrayList<>();
        for (Trace t : traces) {
            long[] flat = new long[3 * t.size()];
            for (int i = 0; i < t.size(); i++) {
                Read r = t.reads().get(i);
                flat[3 * i] = r.micros();
                flat[3 * i + 1] = r.offset();
                flat[3 * i + 2] = r.length();
            }
            runs.add(flat);
        }
        return fromRecorded(runs, pieceSize);
    }

    /** The pieces in profile order: what the agent's prefetcher is given. */
    public int[] order() {
        return rows.stream().mapToInt(Row::piece).toArray();
    }
}
