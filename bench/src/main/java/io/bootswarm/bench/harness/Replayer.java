package io.bootswarm.bench.harness;

import io.bootswarm.bench.trace.Playback;
import io.bootswarm.bench.trace.Read;
import io.bootswarm.bench.trace.Trace;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.locks.LockSupport;

/**
 * Plays a trace as the hypervisor would: each read is issued a think time after the previous one
 * completed and waited for, so a stalled read delays every later read. The think time before read
 * i is the trace's gap between reads i−1 and i. The completion time of each read gives P(t).
 *
 * <p>Sleeping is never exact: the time a sleep overshoots its deadline (a timer's slack, not a
 * stall of the disk) is taken off the next think times, so that the errors do not add up over a
 * thousand reads; a replay against memory then reproduces M(t) to within a few ms.
 */
public final class Replayer {

    /** The disk as the VM sees it: the agent's VirtualDisk (NBD's and FUSE's path), a local file, memory. */
    @FunctionalInterface
    public interface Disk {
        void read(long offset, ByteBuffer dst) throws IOException;
    }

    private final Trace trace;
    private final Disk disk;
    private final double[] completed;
    private volatile int done;
    private volatile IOException failure;

    public Replayer(Trace trace, Disk disk) {
        this.trace = trace;
        this.disk = disk;
        this.completed = new double[trace.size()];
    }

    /**
     * Replays from {@code startNanos} (a {@link System#nanoTime()} that all agents of a run share:
     * their VMs boot at once); returns normally at the end, or when interrupted (then the rest is
     * not played). A read that fails ends the replay ({@link #failure()}).
     */
    public void run(long startNanos) {
        int max = 0;
        for (Read r : trace.reads()) {
            max = Math.max(max, r.length());
        }
        ByteBuffer buf = ByteBuffer.allocate(Math.max(1, max));
        long previousEnd = startNanos;
        long slack = 0; // sleep overshoot still to be taken off later think times
        for (int i = 0; i < trace.size(); i++) {
            Read r = trace.reads().get(i);
            long think = trace.thinkMicros(i) * 1000L;
            long cut = Math.min(slack, think);
            slack -= cut;
            long deadline = previousEnd + think - cut;
            if (!sleepUntil(deadline)) {
                return;
            }
            long woke = System.nanoTime();
            slack += Math.max(0, woke - deadline);
            buf.clear().limit(r.length());
            try {
                disk.read(r.offset(), buf);
            } catch (IOException e) {
                failure = e;
                return;
            }
            previousEnd = System.nanoTime();
            completed[i] = (previousEnd - startNanos) / 1e9;
            done = i + 1;
            if (Thread.currentThread().isInterrupted()) {
                return;
            }
        }
    }

    private static boolean sleepUntil(long deadline) {
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return true;
            }
            if (left > 2_000_000) {
                LockSupport.parkNanos(left - 1_000_000);
            } else if (left > 50_000) {
                LockSupport.parkNanos(left);
            } else {
                Thread.onSpinWait();
            }
            if (Thread.currentThread().isInterrupted()) {
                return false;
            }
        }
    }

    /** Reads completed so far. */
    public int done() {
        return done;
    }

    public boolean finished() {
        return done == trace.size();
    }

    public IOException failure() {
        return failure;
    }

    /** P(t) of the reads completed: their bytes at their completion times. */
    public Playback playback() {
        int n = done;
        if (n == 0) {
            return new Playback(new double[]{0}, new long[]{0});
        }
        double[] t = new double[n];
        long[] bytes = new long[n];
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += trace.reads().get(i).length();
            t[i] = completed[i];
            bytes[i] = sum;
        }
        return new Playback(t, bytes);
    }
}
