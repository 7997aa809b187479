package io.bootswarm.bench.trace;

import java.util.Arrays;

/**
 * A playback function (VMTorrent §3): bytes the VM has read by time t, a step function that rises
 * by a read's length when the read completes. M(t) is the memory-cached one
 * ({@link Trace#memoryPlayback()}), P(t) the one a replay measures. The figure of merit is the
 * normalized runtime P⁻¹(A) / M⁻¹(A) ({@link #normalizedAgainst}).
 *
 * @param seconds when each step happens, non-decreasing, seconds since the start
 * @param bytes   the cumulative bytes after each step, non-decreasing
 */
public record Playback(double[] seconds, long[] bytes) {

    public Playback {
        if (seconds.length != bytes.length || seconds.length == 0) {
            throw new IllegalArgumentException("a playback needs as many times as byte counts, at least one");
        }
        for (int i = 1; i < seconds.length; i++) {
            if (seconds[i] < seconds[i - 1] || bytes[i] < bytes[i - 1]) {
                throw new IllegalArgumentException("a playback never goes back (step " + i + ")");
            }
        }
        seconds = seconds.clone();
        bytes = bytes.clone();
    }

    /** A: the bytes read in all. */
    public long total() {
        return bytes[bytes.length - 1];
    }

    /** The playback's value at {@code t}: bytes read by then. */
    public long at(double t) {
        int i = upperIndex(t);
        return i < 0 ? 0 : bytes[i];
    }

    /** The last step at or before {@code t}, or -1. */
    private int upperIndex(double t) {
        int i = Arrays.binarySearch(seconds, t);
        if (i >= 0) {
            while (i + 1 < seconds.length && seconds[i + 1] == t) {
                i++;
            }
            return i;
        }
        return -i - 2;
    }

    /** The inverse: the first time at which {@code b} bytes have been read (infinity if never). */
    public double timeOf(long b) {
        if (b <= 0) {
            return 0;
        }
        int lo = 0;
        int hi = bytes.length - 1;
        if (bytes[hi] < b) {
            return Double.POSITIVE_INFINITY;
        }
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (bytes[mid] >= b) {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        return seconds[lo];
    }

    /** P⁻¹(A): when the last byte was read. */
    public double completion() {
        return timeOf(total());
    }

    /** P⁻¹(A) / M⁻¹(A), with {@code memory} as M. */
    public double normalizedAgainst(Playback memory) {
        return completion() / memory.completion();
    }

    /** Values at the times of {@code grid}. */
    public double[] sample(double[] grid) {
        double[] out = new double[grid.length];
        for (int i = 0; i < grid.length; i++) {
            out[i] = at(grid[i]);
        }
        return out;
    }

    /** {@code count + 1} evenly spaced times from 0 to {@code end}. */
    public static double[] grid(double end, int count) {
        double[] g = new double[count + 1];
        for (int i = 0; i <= count; i++) {
            g[i] = end * i / count;
        }
        return g;
    }

    /**
     * The cumulative delay of this playback against {@code memory} (VMTorrent Fig. 4), at each of
     * this playback's steps: {x = when the step happened, y = how much later than in the
     * memory-cached run the same bytes were read}, both in seconds ({@code t − M⁻¹(P(t))}).
     */
    public double[][] delayAgainst(Playback memory) {
        double[] x = new double[seconds.length];
        double[] y = new double[seconds.length];
        for (int i = 0; i < seconds.length; i++) {
            x[i] = seconds[i];
            y[i] = Math.max(0, seconds[i] - memory.timeOf(bytes[i]));
        }
        return new double[][]{x, y};
    }

    /** This playback with times and bytes scaled (e.g. bytes back to the unscaled image). */
    public Playback scaled(double timeFactor, double bytesFactor) {
        double[] t = new double[seconds.length];
        long[] b = new long[bytes.length];
        for (int i = 0; i < t.length; i++) {
            t[i] = seconds[i] * timeFactor;
            b[i] = Math.round(bytes[i] * bytesFactor);
        }
        return new Playback(t, b);
    }
}
