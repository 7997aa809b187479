package io.bootswarm.agent.trace;

import io.bootswarm.agent.disk.VirtualDisk;

import io.bootswarm.common.time.MonotonicClock;

import java.time.Instant;
import java.time.InstantSource;
import java.util.Arrays;

/**
 * Records every read the hypervisor makes of one disk, through NBD or FUSE alike: microseconds
 * since the disk was opened, byte offset, length. Recording stops at {@code maxReads} reads or when
 * {@link #stop()} is called; the trace then goes to profile-service ({@link TracePublisher}).
 */
public final class AccessRecorder implements VirtualDisk.AccessListener {

    private final InstantSource clock;
    private final Instant opened;
    private final int maxReads;
    private long[] reads = new long[3 * 1024];
    private int count;
    private long dropped;
    private boolean stopped;

    /** @param clock what the reads' times are measured on; the disk counts as opened now */
    public AccessRecorder(int maxReads, InstantSource clock) {
        this.maxReads = maxReads;
        this.clock = clock;
        this.opened = clock.instant();
    }

    @Override
    public void read(long offset, int length) {
        long micros = MonotonicClock.nanosBetween(opened, clock.instant()) / 1000;
        synchronized (this) {
            if (stopped || count >= maxReads) {
                dropped++;
                return;
            }
            if (3 * count == reads.length) {
                reads = Arrays.copyOf(reads, reads.length * 2);
            }
            reads[3 * count] = micros;
            reads[3 * count + 1] = offset;
            reads[3 * count + 2] = length;
            count++;
        }
    }

    /** Stops recording; returns false if it was stopped already (the trace has been taken). */
    public synchronized boolean stop() {
        boolean was = stopped;
        stopped = true;
        return !was;
    }

    public synchronized boolean isStopped() {
        return stopped;
    }

    public synchronized int count() {
        return count;
    }

    /** Reads seen after recording stopped or filled up. */
    public synchronized long dropped() {
        return dropped;
    }

    /** The reads so far as flattened triples (micros, offset, length). */
    public synchronized long[] reads() {
        return Arrays.copyOf(reads, 3 * count);
    }
}
