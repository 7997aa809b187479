package io.bootswarm.common.wire;

import io.bootswarm.common.time.MonotonicClock;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;

/**
 * A token bucket in bytes per second with two classes of callers: urgent ones (a demand fetch a
 * hypervisor waits on) are always served before normal ones (prefetch, background fill, stock
 * peers) that wait at the same time. One bucket stands for one link direction of a host: all
 * uploads of an agent share its upload bucket. It is also how tests and benchmarks emulate link
 * speeds. A caller may take more than is in the bucket and leave it in debt, so a block larger than
 * the burst still passes; the next callers then wait the debt off.
 *
 * <p>Callers of one class pass in the order they arrived (first come, first served): a connection that
 * waits here with one block at a time and comes back for the next one joins the back of the line, so the
 * connections of a class take turns (round robin) instead of the quickest thread winning every race.
 *
 * <p>The bucket refills from an {@link InstantSource} ({@link MonotonicClock#system()} unless given): on a
 * hand-moved clock it refills only when the clock is moved, so tests count bytes instead of timing them.
 */
public final class RateLimiter {

    /**
     * How often a caller that is not first in its line looks again without being signalled: a safety net only,
     * since a caller that becomes first is signalled.
     */
    private static final Duration NOT_FIRST_RECHECK = Duration.ofMillis(50);

    /** No limit: {@link #acquire} returns at once. */
    public static final RateLimiter UNLIMITED = new RateLimiter(0, 0);

    private final long bytesPerSecond;
    private final long burst;
    private final InstantSource clock;
    private final long notFirstRecheckNanos;
    private final ReentrantLock lock = new ReentrantLock();
    private double tokens;
    /** Times a waiting caller woke and was not the one to pass next (guarded by the lock). */
    private long idleWakeups;
    private long refilledAt;
    /** Each waiting caller's own condition, in the order they came: only the head of a line is woken to pass. */
    private final ArrayDeque<Condition> urgentLine = new ArrayDeque<>();
    private final ArrayDeque<Condition> normalLine = new ArrayDeque<>();

    /**
     * @param bytesPerSecond the rate; 0 or less for no limit
     * @param burst          most bytes that may pass at once after an idle period
     */
    public RateLimiter(long bytesPerSecond, long burst) {
        this(bytesPerSecond, burst, MonotonicClock.system());
    }

    /**
     * @param bytesPerSecond the rate; 0 or less for no limit
     * @param burst          most bytes that may pass at once after an idle period
     * @param clock          what the bucket refills by
     */
    public RateLimiter(long bytesPerSecond, long burst, InstantSource clock) {
        this(bytesPerSecond, burst, clock, NOT_FIRST_RECHECK);
    }

    /** As above, with how often a caller that is not first looks again unsignalled (tests set it long). */
    RateLimiter(long bytesPerSecond, long burst, InstantSource clock, Duration notFirstRecheck) {
        this.notFirstRecheckNanos = notFirstRecheck.toNanos();
        this.bytesPerSecond = Math.max(0, bytesPerSecond);
        this.burst = Math.max(1, burst);
        this.tokens = this.burst;
        this.clock = clock;
        this.refilledAt = MonotonicClock.nanos(clock);
    }

    /** A limiter at {@code bytesPerSecond} with a burst of 1/20 s of traffic (at least 64 KiB). */
    public static RateLimiter perSecond(long bytesPerSecond) {
        return perSecond(bytesPerSecond, MonotonicClock.system());
    }

    /** {@link #perSecond(long)} on {@code clock}. */
    public static RateLimiter perSecond(long bytesPerSecond, InstantSource clock) {
        return bytesPerSecond <= 0 ? UNLIMITED
                : new RateLimiter(bytesPerSecond, Math.max(64 * 1024, bytesPerSecond / 20), clock);
    }

    public boolean isLimited() {
        return bytesPerSecond > 0;
    }

    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Waits until {@code bytes} may pass; urgent callers go before normal ones. */
    public void acquire(int bytes, boolean urgent) throws InterruptedException {
        acquire(bytes, urgent, () -> false);
    }

    /**
     * Waits until {@code bytes} may pass, or until {@code abandon} holds when checked: it is checked while
     * waiting, at the latest when {@link #wake()} is called, so that a caller can be called off without an
     * interrupt (an interrupt would also close any {@code FileChannel} the thread later touches).
     *
     * @return true when the bytes were taken, false when the wait was abandoned (nothing taken)
     */
    public boolean acquire(int bytes, boolean urgent, BooleanSupplier abandon) throws InterruptedException {
        if (bytesPerSecond == 0) {
            return !abandon.getAsBoolean();
        }
        lock.lockInterruptibly();
        Condition ticket = lock.newCondition();
        ArrayDeque<Condition> line = urgent ? urgentLine : normalLine;
        try {
            line.addLast(ticket);
            try {
                boolean woke = false;
                while (true) {
                    if (abandon.getAsBoolean()) {
                        return false;
                    }
                    refill();
                    boolean first = line.peekFirst() == ticket && (urgent || urgentLine.isEmpty());
                    if (first && tokens > 0) {
                        tokens -= bytes;
                        return true;
                    }
                    if (woke && !first) {
                        idleWakeups++;
                    }
                    woke = true;
                    long waitNanos = !first ? notFirstRecheckNanos
                            : tokens > 0 ? TimeUnit.MILLISECONDS.toNanos(5)
                            : (long) (-tokens * 1e9 / bytesPerSecond) + 1;
                    ticket.awaitNanos(Math.max(TimeUnit.MICROSECONDS.toNanos(100), waitNanos));
                }
            } finally {
                boolean wasFirst = line.peekFirst() == ticket;
                line.remove(ticket);
                if (wasFirst) {
                    signalFirst();
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Wakes the callers that may pass next: the first urgent one, or the first normal one while no urgent
     * caller waits. Only they are woken when a caller leaves the head of a line, not every waiter (with tens
     * of connections sharing one link, waking all of them for each 16 KiB block cost more CPU than the bytes).
     * Guarded by the lock.
     */
    private void signalFirst() {
        Condition urgent = urgentLine.peekFirst();
        if (urgent != null) {
            urgent.signal();
            return;
        }
        Condition normal = normalLine.peekFirst();
        if (normal != null) {
            normal.signal();
        }
    }

    /** Makes every waiting caller check its {@code abandon} condition now. */
    public void wake() {
        if (bytesPerSecond == 0) {
            return;
        }
        lock.lock();
        try {
            urgentLine.forEach(Condition::signal);
            normalLine.forEach(Condition::signal);
        } finally {
            lock.unlock();
        }
    }

    /** Bytes that may pass now without waiting; negative while callers wait off a debt. */
    public long available() {
        if (bytesPerSecond == 0) {
            return Long.MAX_VALUE;
        }
        lock.lock();
        try {
            refill();
            return (long) Math.floor(tokens);
        } finally {
            lock.unlock();
        }
    }

    /** Callers in {@link #acquire} now, urgent ({@code true}) or normal ones (including those about to pass). */
    int callersIn(boolean urgent) {
        lock.lock();
        try {
            return urgent ? urgentLine.size() : normalLine.size();
        } finally {
            lock.unlock();
        }
    }

    /** Times a waiting caller woke up while another was next in line: wasted hand-overs. */
    long idleWakeups() {
        lock.lock();
        try {
            return idleWakeups;
        } finally {
            lock.unlock();
        }
    }

    private void refill() {
        long now = MonotonicClock.nanos(clock);
        tokens = Math.min(burst, tokens + (now - refilledAt) * bytesPerSecond / 1e9);
        refilledAt = now;
    }
}
