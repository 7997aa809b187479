package io.bootswarm.agent.disk;

import java.util.BitSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;

/**
 * The pieces one disk was asked to get ready ahead of reads ({@code NBD_CMD_CACHE}), fetched in the
 * background through its {@link PieceSource} with at most {@code concurrency} in flight. Bounded
 * whatever the clients ask: the pending pieces are a set over the image's pieces (a repeated hint
 * adds nothing), and the work in flight is capped, so a hint over a whole disk costs one bit per
 * piece and never more than {@code concurrency} fetches at once (a piece being fetched is not queued
 * again). A piece no longer {@code needed}
 * when its turn comes (it arrived meanwhile) is skipped. A failed fetch is dropped: hints are never
 * retried, a later read fetches on demand.
 */
final class PrefetchHints {

    private final BitSet pending;
    /** Pieces being fetched for a hint: a hint arriving meanwhile does not queue them again. */
    private final BitSet fetching;
    private final IntPredicate needed;
    private final IntFunction<CompletableFuture<Void>> prefetch;
    private final int concurrency;
    private final AtomicInteger inFlight = new AtomicInteger();
    /** Drain passes asked for: the first caller drains, later ones make it go round again. */
    private final AtomicInteger drainRequests = new AtomicInteger();
    private final AtomicLong started = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private volatile boolean closed;

    PrefetchHints(int pieceCount, IntPredicate needed, IntFunction<CompletableFuture<Void>> prefetch, int concurrency) {
        if (concurrency <= 0) {
            throw new IllegalArgumentException("concurrency " + concurrency);
        }
        this.pending = new BitSet(pieceCount);
        this.fetching = new BitSet(pieceCount);
        this.needed = needed;
        this.prefetch = prefetch;
        this.concurrency = concurrency;
    }

    /** Asks for pieces {@code [first, end)}, those still {@code needed}, to be fetched. */
    void add(int first, int end) {
        if (closed) {
            return;
        }
        synchronized (pending) {
            for (int p = first; p < end; p++) {
                if (!fetching.get(p) && needed.test(p)) {
                    pending.set(p);
                }
            }
        }
        drain();
    }

    /**
     * Starts pending fetches while there is room; reentrant-safe without recursion: a fetch that
     * completes at once (or on another thread during a pass) asks for one more pass instead of
     * draining inside the pass.
     */
    private void drain() {
        if (drainRequests.getAndIncrement() != 0) {
            return;
        }
        do {
            while (!closed && inFlight.get() < concurrency) {
                int piece;
                synchronized (pending) {
                    piece = pending.nextSetBit(0);
                    if (piece < 0) {
                        break;
                    }
                    pending.clear(piece);
                    if (!needed.test(piece)) {
                        continue;
                    }
                    fetching.set(piece);
                }
                inFlight.incrementAndGet();
                started.incrementAndGet();
                CompletableFuture<Void> f;
                try {
                    f = prefetch.apply(piece);
                } catch (RuntimeException e) {
                    f = CompletableFuture.failedFuture(e);
                }
                f.whenComplete((ok, error) -> {
                    if (error != null) {
                        failed.incrementAndGet();
                    }
                    synchronized (pending) {
                        fetching.clear(piece);
                    }
                    inFlight.decrementAndGet();
                    drain();
                });
            }
        } while (drainRequests.decrementAndGet() != 0);
    }

    /** Pieces waiting for a fetch slot. */
    int pending() {
        synchronized (pending) {
            return pending.cardinality();
        }
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Fetches started for hints so far. */
    long started() {
        return started.get();
    }

    long failed() {
        return failed.get();
    }

    /** Drops the pending pieces; fetches in flight complete on their own. */
    void close() {
        closed = true;
        synchronized (pending) {
            pending.clear();
        }
    }
}
