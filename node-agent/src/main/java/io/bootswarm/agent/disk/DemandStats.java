package io.bootswarm.agent.disk;

import java.util.Arrays;

/**
 * The demand misses of one disk: reads that found a piece missing and had to wait for the swarm,
 * and how long each waited. Thread-safe.
 */
public final class DemandStats {

    private long[] waits = new long[64];
    private int count;

    synchronized void record(long waitNanos) {
        if (count == waits.length) {
            waits = Arrays.copyOf(waits, count * 2);
        }
        waits[count++] = waitNanos;
    }

    public synchronized int misses() {
        return count;
    }

    /** The {@code p}-quantile (0..1) of the waits, in milliseconds; 0 without misses. */
    public synchronized double waitMillis(double p) {
        if (count == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(waits, count);
        Arrays.sort(sorted);
        int i = (int) Math.min(count - 1, Math.max(0, Math.ceil(p * count) - 1));
        return sorted[i] / 1e6;
    }

    public synchronized double totalWaitMillis() {
        long sum = 0;
        for (int i = 0; i < count; i++) {
            sum += waits[i];
        }
        return sum / 1e6;
    }
}
