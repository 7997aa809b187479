package io.bootswarm.bench.model;

import java.util.Arrays;

/**
 * M(t) as the analytic model reads it: cumulative bytes the memory-cached VM needs against time, a
 * piecewise-linear curve through points {@code (t_k, m_k)}, non-decreasing in both. Two points at
 * the same time are a jump: bytes needed at one instant (a read of a piece not yet there), which
 * takes {@code bytes / r} of wall time to stream and none when buffered.
 *
 * <p>For a trace the curve counts what the network must carry, not what the guest reads: the
 * bytes of each piece at the time it is first touched ({@link #ofPieceFirstAccess}), since a
 * piece is fetched whole. M⁻¹(A), the memory-cached runtime, is the time of the last point.
 */
public final class DemandCurve {

    private final double[] t;
    private final double[] m;

    private DemandCurve(double[] t, double[] m) {
        this.t = t;
        this.m = m;
    }

    /**
     * A curve through the given points (linear between them).
     *
     * @throws IllegalArgumentException unless both arrays have the same length ≥ 1, start at
     *                                  {@code t ≥ 0, m ≥ 0} and never decrease
     */
    public static DemandCurve of(double[] times, double[] bytes) {
        if (times.length != bytes.length || times.length == 0) {
            throw new IllegalArgumentException("need as many bytes as times, at least one point");
        }
        for (int i = 0; i < times.length; i++) {
            if (!(times[i] >= 0) || !(bytes[i] >= 0) || !Double.isFinite(times[i]) || !Double.isFinite(bytes[i])) {
                throw new IllegalArgumentException("point " + i + " out of range: (" + times[i] + ", " + bytes[i] + ")");
            }
            if (i > 0 && (times[i] < times[i - 1] || bytes[i] < bytes[i - 1])) {
                throw new IllegalArgumentException("the curve decreases at point " + i);
            }
        }
        double[] tt = times.clone();
        double[] mm = bytes.clone();
        if (tt[0] > 0 || mm[0] > 0) { // start at the origin: nothing is needed before the first point
            double[] t2 = new double[tt.length + 1];
            double[] m2 = new double[mm.length + 1];
            System.arraycopy(tt, 0, t2, 1, tt.length);
            System.arraycopy(mm, 0, m2, 1, mm.length);
            t2[0] = 0;
            m2[0] = 0;
            if (tt[0] > 0) { // flat until the first point, then its bytes at once
                t2 = insert(t2, 1, tt[0]);
                m2 = insert(m2, 1, 0);
            }
            tt = t2;
            mm = m2;
        }
        return new DemandCurve(tt, mm);
    }

    private static double[] insert(double[] a, int at, double v) {
        double[] out = new double[a.length + 1];
        System.arraycopy(a, 0, out, 0, at);
        out[at] = v;
        System.arraycopy(a, at, out, at + 1, a.length - at);
        return out;
    }

    /**
     * The step curve of pieces first touched: at each {@code times[i]}, {@code pieceBytes[i]} more
     * bytes at once (times non-decreasing).
     */
    public static DemandCurve ofPieceFirstAccess(double[] times, double[] pieceBytes) {
        if (times.length != pieceBytes.length || times.length == 0) {
            throw new IllegalArgumentException("need one size per access time, at least one");
        }
        double[] t = new double[2 * times.length];
        double[] m = new double[2 * times.length];
        double sum = 0;
        for (int i = 0; i < times.length; i++) {
            t[2 * i] = times[i];
            m[2 * i] = sum;
            sum += pieceBytes[i];
            t[2 * i + 1] = times[i];
            m[2 * i + 1] = sum;
        }
        return of(t, m);
    }

    /** A: the bytes needed from boot to the end of the workload. */
    public double total() {
        return m[m.length - 1];
    }

    /** M⁻¹(A): when the memory-cached run is done, seconds. */
    public double duration() {
        return t[t.length - 1];
    }

    /** M(time). At a jump, the value after it. */
    public double at(double time) {
        if (time >= t[t.length - 1]) {
            return total();
        }
        int i = Arrays.binarySearch(t, time);
        if (i >= 0) {
            while (i + 1 < t.length && t[i + 1] == time) {
                i++;
            }
            return m[i];
        }
        int k = -i - 1; // t[k-1] < time < t[k]
        if (k == 0) {
            return 0;
        }
        double f = (time - t[k - 1]) / (t[k] - t[k - 1]);
        return m[k - 1] + f * (m[k] - m[k - 1]);
    }

    /** The largest finite slope dM/dt, bytes per second (jumps excluded); 0 for a pure step curve. */
    public double peakRate() {
        double peak = 0;
        for (int k = 1; k < t.length; k++) {
            double dt = t[k] - t[k - 1];
            if (dt > 0) {
                peak = Math.max(peak, (m[k] - m[k - 1]) / dt);
            }
        }
        return peak;
    }

    /** Whether the curve jumps anywhere (needs infinite rate there). */
    public boolean hasJumps() {
        for (int k = 1; k < t.length; k++) {
            if (t[k] == t[k - 1] && m[k] > m[k - 1]) {
                return true;
            }
        }
        return false;
    }

    int points() {
        return t.length;
    }

    double time(int k) {
        return t[k];
    }

    double bytes(int k) {
        return m[k];
    }
}
