package io.bootswarm.bench.sim;

import io.bootswarm.bench.model.DemandCurve;
import io.bootswarm.bench.trace.Profile;
import io.bootswarm.bench.trace.Read;
import io.bootswarm.bench.trace.Trace;

import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;

/**
 * What each simulated VM does, in the simulator's dense piece numbering: the pieces that the trace
 * or the profile touch are numbered 0..{@code pieceCount-1} (the rest of the image is never
 * fetched without background fill, so it is left out; {@link #imagePiece} maps back).
 *
 * @param name          for reports
 * @param pieceBytes    S
 * @param think         per read, seconds between the previous read's completion (the start for
 *                      the first) and this read's issue, as the harness's replayer waits
 * @param readPieces    per read, the pieces it needs, in the order the agent's virtual disk
 *                      requires them (one after another)
 * @param readBytes     per read, its length (for P(t))
 * @param profile       the prefetch order (dense pieces), empty for none
 * @param imagePiece    dense piece → piece index in the image
 * @param ideal         M⁻¹(A): the memory-cached runtime, seconds
 */
public record Workload(String name, int pieceBytes, double[] think, int[][] readPieces, int[] readBytes,
                       int[] profile, int[] imagePiece, double ideal) {

    public int pieceCount() {
        return imagePiece.length;
    }

    public int reads() {
        return think.length;
    }

    /** A workload replaying {@code trace} with the single-run profile of the same trace (the paper's "small profile"). */
    public static Workload of(Trace trace, int pieceBytes) {
        return of(trace, Profile.fromTraces(List.of(trace), pieceBytes), pieceBytes);
    }

    /** A workload replaying {@code trace}, prefetching by {@code profile}. */
    public static Workload of(Trace trace, Profile profile, int pieceBytes) {
        int[] order = profile.order();
        Map<Integer, Integer> dense = new HashMap<>();
        LinkedHashSet<Integer> all = new LinkedHashSet<>();
        for (int p : order) {
            all.add(p);
        }
        BitSet touched = trace.pieces(pieceBytes);
        touched.stream().forEach(all::add);
        int[] image = new int[all.size()];
        int k = 0;
        for (int p : all) {
            dense.put(p, k);
            image[k++] = p;
        }
        List<Read> reads = trace.reads();
        double[] think = new double[reads.size()];
        int[][] pieces = new int[reads.size()][];
        int[] bytes = new int[reads.size()];
        for (int i = 0; i < reads.size(); i++) {
            Read r = reads.get(i);
            think[i] = trace.thinkMicros(i) / 1e6;
            bytes[i] = r.length();
            if (r.length() == 0) {
                pieces[i] = new int[0];
                continue;
            }
            int first = r.firstPiece(pieceBytes);
            int last = r.lastPiece(pieceBytes);
            pieces[i] = new int[last - first + 1];
            for (int p = first; p <= last; p++) {
                pieces[i][p - first] = dense.get(p);
            }
        }
        int[] prof = Arrays.stream(order).map(dense::get).toArray();
        return new Workload(trace.name(), pieceBytes, think, pieces, bytes, prof, image, trace.durationSeconds());
    }

    /** This workload without a profile (for demand-only runs it does not matter). */
    public Workload withProfile(int[] denseOrder) {
        return new Workload(name, pieceBytes, think, readPieces, readBytes, denseOrder.clone(), imagePiece, ideal);
    }

    /** M(t) for the analytic model: each piece's bytes at the memory-cached time it is first needed. */
    public DemandCurve demandCurve() {
        boolean[] seen = new boolean[pieceCount()];
        double[] times = new double[pieceCount()];
        double[] sizes = new double[pieceCount()];
        int n = 0;
        double t = 0;
        for (int i = 0; i < reads(); i++) {
            t += think[i];
            for (int p : readPieces[i]) {
                if (!seen[p]) {
                    seen[p] = true;
                    times[n] = t;
                    sizes[n++] = pieceBytes;
                }
            }
        }
        if (n == 0) {
            return DemandCurve.of(new double[] {0, ideal}, new double[] {0, 0});
        }
        double[] tt = Arrays.copyOf(times, n + 1);
        double[] ss = Arrays.copyOf(sizes, n + 1);
        tt[n] = Math.max(ideal, t); // flat to the end of the run
        ss[n] = 0;
        return DemandCurve.ofPieceFirstAccess(tt, ss);
    }

    /** Distinct pieces the reads need. */
    public int piecesRead() {
        BitSet s = new BitSet();
        for (int[] r : readPieces) {
            for (int p : r) {
                s.set(p);
            }
        }
        return s.cardinality();
    }
}
