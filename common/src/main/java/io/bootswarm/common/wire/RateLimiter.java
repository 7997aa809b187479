package io.bootswarm.common.wire;

import io.bootswarm.common.time.MonotonicClock;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.TreeSet;
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
 * <p>Callers of one class pass in the order of their {@code order} key, oldest first: by default the time they
 * came (first come, first served), so a connection that waits here with one block at a time and comes back for
 * the next one joins the back of the line and the connections of a class take turns instead of the quickest
 * thread winning every race. An upload passes the time its peer's request <em>arrived</em> instead
 * ({@link #acquire(int, boolean, long, BooleanSupplier)}): then the blocks of the oldest request go first
 * whichever connection asked, and the pieces sent through one link complete one after another, each in the
 * time of one piece, instead of all of them together at the end of a round robin over every connection (a
 * piece is of use to its receiver, who can verify and pass it on, only once it is whole).
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
    /** Each waiting caller's own condition, oldest order first: only the head of a line is woken to pass. */
    private final TreeSet<Ticket> urgentLine = new TreeSet<>(Ticket.OLDEST_FIRST);
    private final TreeSet<Ticket> normalLine = new TreeSet<>(Ticket.OLDEST_FIRST);
    /** Breaks ties between equal orders by arrival (guarded by the lock). */
    private long arrivals;

    /** A waiting caller: its order key, when it came among equal keys, and what wakes it. */
    private record Ticket(long order, long arrival, Condition condition) {
        static final Comparator<Ticket> OLDEST_FIRST =
                Comparator.comparingLong(Ticket::order).thenComparingLong(Ticket::arrival);
    }

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
        return acquire(bytes, urgent, bytesPerSecond == 0 ? 0 : MonotonicClock.nanos(clock), abandon);
    }

    /**
     * {@link #acquire(int, boolean, BooleanSupplier)} in the place of {@code order} in its class's line rather than
     * of the time it came: a smaller order passes first (ties by arrival). All callers of one limiter must take
     * their orders from one monotonic time base in nanoseconds (the limiter's clock for those that give none).
     */
    public boolean acquire(int bytes, boolean urgent, long order, BooleanSupplier abandon) throws InterruptedException {
        if (bytesPerSecond == 0) {
            return !abandon.getAsBoolean();
        }
        lock.lockInterruptibly();
        Ticket ticket = new Ticket(order, arrivals++, lock.newCondition());
        TreeSet<Ticket> line = urgent ? urgentLine : normalLine;
        try {
            line.add(ticket);
            try {
                boolean woke = false;
                while (true) {
                    if (abandon.getAsBoolean()) {
                        return false;
                    }
                    refill();
                    boolean first = line.first() == ticket && (urgent || urgentLine.isEmpty());
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
                    ticket.condition().awaitNanos(Math.max(TimeUnit.MICROSECONDS.toNanos(100), waitNanos));
                }
            } finally {
                boolean wasFirst = line.first() == ticket;
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
        if (!urgentLine.isEmpty()) {
            urgentLine.first().condition().signal();
        } else if (!normalLine.isEmpty()) {
            normalLine.first().condition().signal();
        }
    }

    /** Makes every waiting caller check its {@code abandon} condition now. */
    public void wake() {
        if (bytesPerSecond == 0) {
            return;
        }
        lock.lock();
        try {
            urgentLine.forEach(t -> t.condition().signal());
            normalLine.forEach(t -> t.condition().signal());
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
        // in double: nanoseconds times bytes per second overflow a long after Long.MAX_VALUE / rate idle (88 s at
        // 100 MiB/s), and the bucket then fell into a debt of gigabytes instead of filling up
        tokens = Math.min(burst, tokens + (double) (now - refilledAt) * bytesPerSecond / 1e9);
        refilledAt = now;
    }
}
