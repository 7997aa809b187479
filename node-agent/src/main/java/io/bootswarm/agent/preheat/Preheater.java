package io.bootswarm.agent.preheat;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fetches a set of pieces through a {@link Source}, at most {@code concurrency} at once and at most
 * {@code maxBytesPerSecond} (a token bucket holding one second's worth, never less than one piece), until every
 * piece is present, the pieces still missing failed {@code attempts} times, or {@link #cancel()}. Time is read
 * from the {@link InstantSource} given: a wait for the rate looks at it again at least every {@link #SLICE}, so
 * that on a clock a test moves by hand it ends within a slice of the clock passing the time.
 *
 * <p>Cancelling stops sending requests at once; {@link #run()} returns once the requests already sent have
 * ended, so that a CANCELLED preheat has nothing in flight.
 */
public final class Preheater {

    /** The longest a wait blocks before it looks at the clock (and for a cancel) again. */
    static final Duration SLICE = Duration.ofMillis(100);

    /** Where the pieces come from (the image's swarm session) and how long each is. */
    public interface Source {
        boolean have(int piece);

        /** Completes when the piece is stored, or fails when no peer delivered it. */
        CompletableFuture<Void> fetch(int piece);

        int pieceLength(int piece);
    }

    public enum State { RUNNING, DONE, CANCELLED, FAILED }

    /**
     * Where a preheat stands.
     *
     * @param piecesDone   pieces of the set present (fetched here or there before)
     * @param bytesFetched bytes of the pieces this preheat fetched
     * @param requested    fetches sent
     * @param inFlight     fetches sent and not ended
     * @param pacing       waiting for the rate limit to allow the next fetch
     * @param detail       why it failed, or null
     */
    public record Progress(State state, int piecesDone, int piecesTotal, long bytesFetched, long requested,
                           int inFlight, boolean pacing, String detail) {
    }

    private final int[] pieces;
    private final Source source;
    private final double rate;
    private final double burst;
    private final int concurrency;
    private final int attempts;
    private final InstantSource clock;
    private final Semaphore slots;
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicLong bytes = new AtomicLong();
    private final AtomicLong requested = new AtomicLong();
    private final AtomicInteger inFlight = new AtomicInteger();
    private volatile boolean cancelled;
    private volatile boolean pacing;
    private volatile State state = State.RUNNING;
    private volatile String detail;
    private double tokens;
    private Instant refilled;

    /**
     * @param pieces            the pieces to fetch, in the order to fetch them (repeats are fetched once)
     * @param maxBytesPerSecond the rate limit, 0 for none
     */
    public Preheater(int[] pieces, Source source, long maxBytesPerSecond, int concurrency, int attempts,
                     InstantSource clock) {
        Set<Integer> unique = new LinkedHashSet<>();
        for (int p : pieces) {
            unique.add(p);
        }
        this.pieces = unique.stream().mapToInt(Integer::intValue).toArray();
        this.source = source;
        this.rate = maxBytesPerSecond;
        int largest = 0;
        for (int p : this.pieces) {
            largest = Math.max(largest, source.pieceLength(p));
        }
        this.burst = Math.max(rate, largest);
        this.concurrency = concurrency;
        this.attempts = attempts;
        this.clock = clock;
        this.slots = new Semaphore(concurrency);
        this.tokens = burst;
    }

    /** Fetches the pieces; returns how it ended. Once. */
    public Progress run() throws InterruptedException {
        refilled = clock.instant();
        List<Integer> pending = new ArrayList<>();
        for (int p : pieces) {
            if (source.have(p)) {
                done.incrementAndGet();
            } else {
                pending.add(p);
            }
        }
        for (int attempt = 1; attempt <= attempts && !pending.isEmpty() && !cancelled; attempt++) {
            ConcurrentLinkedQueue<Integer> failed = new ConcurrentLinkedQueue<>();
            for (int piece : pending) {
                if (cancelled) {
                    break;
                }
                if (source.have(piece)) {
                    done.incrementAndGet();
                    continue;
                }
                int length = source.pieceLength(piece);
                if (!pace(length) || !takeSlot()) {
                    break;
                }
                send(piece, length, failed);
            }
            slots.acquire(concurrency); // the requests of this pass have ended
            slots.release(concurrency);
            pending = new ArrayList<>(failed);
        }
        if (cancelled) {
            state = State.CANCELLED;
        } else if (pending.isEmpty()) {
            state = State.DONE;
        } else {
            detail = pending.size() + " pieces could not be fetched in " + attempts + " attempts";
            state = State.FAILED;
        }
        return progress();
    }

    private void send(int piece, int length, ConcurrentLinkedQueue<Integer> failed) {
        requested.incrementAndGet();
        inFlight.incrementAndGet();
        CompletableFuture<Void> f;
        try {
            f = source.fetch(piece);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        f.whenComplete((ok, error) -> {
            if (error == null) {
                done.incrementAndGet();
                bytes.addAndGet(length);
            } else {
                failed.add(piece);
            }
            inFlight.decrementAndGet();
            slots.release();
        });
    }

    /** Waits until the rate allows {@code length} more bytes and takes them; false if cancelled first. */
    private boolean pace(int length) throws InterruptedException {
        if (rate <= 0) {
            return !cancelled;
        }
        while (!cancelled) {
            Instant now = clock.instant();
            long elapsed = Duration.between(refilled, now).toNanos();
            if (elapsed > 0) {
                tokens = Math.min(burst, tokens + rate * elapsed / 1e9);
                refilled = now;
            }
            if (tokens >= length) {
                tokens -= length;
                pacing = false;
                return true;
            }
            pacing = true;
            long wait = (long) Math.ceil((length - tokens) / rate * 1e9);
            Thread.sleep(Duration.ofNanos(Math.max(1, Math.min(wait, SLICE.toNanos()))));
        }
        pacing = false;
        return false;
    }

    private boolean takeSlot() throws InterruptedException {
        while (!cancelled) {
            if (slots.tryAcquire(SLICE.toNanos(), TimeUnit.NANOSECONDS)) {
                return true;
            }
        }
        return false;
    }

    /** Stops sending requests; {@link #run()} returns once those sent have ended. Idempotent. */
    public void cancel() {
        cancelled = true;
    }

    public Progress progress() {
        return new Progress(state, done.get(), pieces.length, bytes.get(), requested.get(), inFlight.get(), pacing,
                detail);
    }
}
