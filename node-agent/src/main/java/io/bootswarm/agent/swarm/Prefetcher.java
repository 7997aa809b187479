package io.bootswarm.agent.swarm;

import io.bootswarm.agent.picker.PiecePicker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.OptionalInt;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Prefetches for one disk what its {@link PiecePicker} chooses (profile order, window-randomized,
 * then rarest-first fill if asked), keeping {@code concurrency} pieces in flight while it follows the
 * profile and {@code fillConcurrency} once it fills, at normal priority, through the image's
 * {@link SwarmSession}. Demand fetches of the same disk bypass it.
 * With the session's seed partition on, the pieces this host owns come first, in profile order
 * (then, with {@code fill}, in piece order), up to the session's seed prefetch slots: those are the
 * ones it may fetch from the seed, so the seed's prefetch upload is not spent on pieces other
 * agents are fetching from it too. None is chosen before the tracker answered (the host would own every
 * piece), and a piece in flight that another agent owns since (one joined) frees its slot. Runs from {@link #start()} until there is nothing left to
 * prefetch, or until closed.
 *
 * <p>Fill takes the rarest piece that another agent holds. At most {@value #ORPHAN_SLOTS} of the slots may hold a
 * piece no agent has (an orphan: with the seed partition on, such a prefetch waits for the agent that owns it, at
 * most {@code pieceTimeout} before it asks the seed), so that the other slots keep the links busy with pieces that
 * can come now. When nothing can be chosen it waits for a change in the swarm (a peer's {@code have}, a piece
 * arrived), not for a fixed time.
 */
public final class Prefetcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Prefetcher.class);
    /** Prefetch slots that may hold a piece no other agent has. */
    static final int ORPHAN_SLOTS = 1;
    /** How long an idle prefetcher waits for a change in the swarm before it looks again anyway. */
    private static final Duration RECHECK = Duration.ofMillis(50);

    private final SwarmSession session;
    private final PiecePicker picker;
    private final int[] ownedOrder;
    /** Pieces in flight that were this host's to fetch from the seed when chosen. */
    private final Set<Integer> ownedInFlight = ConcurrentHashMap.newKeySet();
    private final AtomicInteger orphansInFlight = new AtomicInteger();
    private final Semaphore slots;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Slots added once the profile is done and the fill begins; 0 once added. Prefetch thread only. */
    private int fillSlots;
    private final String name;
    private volatile Thread thread;
    private final AtomicLong prefetched = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean closed;
    private volatile boolean finished;

    /**
     * @param order  the access profile's pieces, earliest first (empty without a profile)
     * @param window the randomization window k
     * @param fill   fetch the rest of the image, rarest first, after the profile
     */
    public Prefetcher(SwarmSession session, int[] order, int window, boolean fill, int concurrency, String name) {
        this(session, order, window, fill, concurrency, concurrency, name);
    }

    /**
     * @param order           the access profile's pieces, earliest first (empty without a profile)
     * @param window          the randomization window k
     * @param fill            fetch the rest of the image, rarest first, after the profile
     * @param concurrency     pieces in flight while following the profile
     * @param fillConcurrency pieces in flight once filling
     */
    public Prefetcher(SwarmSession session, int[] order, int window, boolean fill, int concurrency,
                      int fillConcurrency, String name) {
        this.session = session;
        this.picker = new PiecePicker(order, window, fill, new Random());
        this.ownedOrder = fill ? IntStream.concat(IntStream.of(order), IntStream.range(0, session.pieceCount())).toArray()
                : order.clone();
        this.slots = new Semaphore(concurrency);
        this.fillSlots = fill ? Math.max(0, fillConcurrency - concurrency) : 0;
        this.name = name;
    }

    /** Starts prefetching (on a virtual thread of its own); once. */
    public synchronized Prefetcher start() {
        if (thread == null && !closed) {
            thread = Thread.ofVirtual().name("prefetch-" + name).start(this::run);
        }
        return this;
    }

    private void run() {
        session.connectForPrefetch();
        try {
            while (!closed) {
                if (fillSlots > 0 && profileExhausted()) {
                    slots.release(fillSlots); // filling now: fillConcurrency pieces at once
                    fillSlots = 0;
                }
                slots.acquire();
                OptionalInt next = OptionalInt.empty();
                if (ownedNow() < session.seedPrefetchSlots()) {
                    next = session.nextOwned(ownedOrder);
                }
                boolean owned = next.isPresent();
                if (!owned) {
                    synchronized (picker) {
                        next = picker.next(session, orphansInFlight.get() < ORPHAN_SLOTS);
                    }
                }
                if (next.isEmpty()) {
                    slots.release();
                    if (inFlight.get() == 0 && nothingLeft()) {
                        break;
                    }
                    // pieces in flight may fail and need choosing again; a have makes a piece choosable
                    session.awaitChange(RECHECK);
                    continue;
                }
                int piece = next.getAsInt();
                boolean orphan = !owned && session.holders(piece) == 0;
                if (owned) {
                    ownedInFlight.add(piece);
                }
                if (orphan) {
                    orphansInFlight.incrementAndGet();
                }
                inFlight.incrementAndGet();
                session.prefetch(piece).whenComplete((ok, error) -> {
                    inFlight.decrementAndGet();
                    if (owned) {
                        ownedInFlight.remove(piece);
                    }
                    if (orphan) {
                        orphansInFlight.decrementAndGet();
                    }
                    if (error == null) {
                        prefetched.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                        log.debug("prefetch of piece {} failed: {}", piece, error.toString());
                    }
                    slots.release();
                });
            }
        } catch (InterruptedException e) {
            return;
        }
        finished = true;
        log.debug("prefetch done: {} pieces, {} failed", prefetched.get(), failed.get());
    }

    /**
     * The pieces in flight this host still owns: one chosen as owned that another agent owns since (an agent joined
     * and the partition changed) no longer takes a seed slot, as its fetch may not ask the seed for it either.
     */
    private int ownedNow() {
        int n = 0;
        for (int piece : ownedInFlight) {
            if (session.seedPartition().owns(piece)) {
                n++;
            }
        }
        return n;
    }

    private boolean profileExhausted() {
        synchronized (picker) {
            return picker.profileExhausted(session);
        }
    }

    private boolean nothingLeft() {
        synchronized (picker) {
            return picker.next(session).isEmpty();
        }
    }

    /** Pieces this prefetcher fetched (or found already fetched by another disk). */
    public long prefetched() {
        return prefetched.get();
    }

    public boolean finished() {
        return finished;
    }

    /** Stops prefetching; the pieces in flight complete or fail on their own. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
