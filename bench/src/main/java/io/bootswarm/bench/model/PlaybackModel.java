package io.bootswarm.bench.model;

import java.util.Arrays;

/**
 * The policy model of VMTorrent §3.1: the playback P(t) a peer achieves at effective download rate
 * {@code r}, given the memory-cached playback M(t).
 *
 * <ul>
 *   <li>{@link #demand}: Eq. 4, {@code dP/dt = min(r, dM/dt(y_t))}, {@code y_t = M⁻¹(P(t))}: the VM
 *       plays at its own pace where M is slower than r, and streams at r where it is faster.</li>
 *   <li>{@link #profile}: Eqs. 5–7, in-order profile prefetch with perfect prediction. Whenever M
 *       is slower than r the difference goes into a buffer B (a continuous-time Lindley process,
 *       Eq. 5); while B &gt; 0 the VM plays at M's pace (Eq. 7). B is capped at the bytes still to
 *       be played, A − P: a prefetcher that predicts perfectly has nothing else to fetch.</li>
 * </ul>
 *
 * Both integrate exactly over the segments of a piecewise-linear {@link DemandCurve} (no time
 * step): within a segment of slope s the rates are constant, so each segment costs either its own
 * duration or its bytes over r, split at the instant the buffer runs dry.
 */
public final class PlaybackModel {

    private PlaybackModel() {
    }

    /** Eq. 4: strict demand fetching at effective rate {@code r} bytes/s. */
    public static ModelRun demand(DemandCurve m, double r) {
        return run(m, r, false);
    }

    /** Eqs. 5–7: in-order profile prefetch (perfect prediction) at effective rate {@code r} bytes/s. */
    public static ModelRun profile(DemandCurve m, double r) {
        return run(m, r, true);
    }

    private static ModelRun run(DemandCurve m, double r, boolean prefetch) {
        if (!(r > 0) || !Double.isFinite(r)) {
            throw new IllegalArgumentException("rate must be positive and finite, got " + r);
        }
        int k = m.points();
        double[] wall = new double[2 * k];
        double[] played = new double[2 * k];
        double[] buffer = new double[2 * k];
        int n = 0;
        double w = 0;
        double b = 0;
        double total = m.total();
        wall[n] = 0;
        played[n] = m.bytes(0);
        buffer[n++] = 0;
        for (int i = 1; i < k; i++) {
            double d = m.time(i) - m.time(i - 1);
            double bytes = m.bytes(i) - m.bytes(i - 1);
            double m1 = m.bytes(i);
            if (d == 0) { // a jump: from the buffer, the rest streamed while the VM stalls
                double use = prefetch ? Math.min(b, bytes) : 0;
                b -= use;
                w += (bytes - use) / r;
            } else {
                double s = bytes / d;
                if (s <= r) {
                    w += d;
                    if (prefetch) {
                        b += (r - s) * d;
                    }
                } else if (prefetch && b >= (s - r) * d) {
                    w += d;
                    b -= (s - r) * d;
                } else {
                    // full speed while the buffer lasts (τ M-seconds), then M's bytes at r
                    double tau = prefetch ? b / (s - r) : 0;
                    if (tau > 0) {
                        wall[n] = w + tau;
                        played[n] = m.bytes(i - 1) + s * tau;
                        buffer[n++] = 0;
                    }
                    w += tau + s * (d - tau) / r;
                    b = 0;
                }
            }
            if (prefetch) {
                b = Math.min(b, total - m1);
            }
            wall[n] = w;
            played[n] = m1;
            buffer[n++] = b;
        }
        return new ModelRun(Arrays.copyOf(wall, n), Arrays.copyOf(played, n), Arrays.copyOf(buffer, n), w,
                m.duration());
    }
}
