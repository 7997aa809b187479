package io.bootswarm.agent.swarm;

import io.bootswarm.common.time.MonotonicClock;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Waits whose deadlines are measured on the swarm's {@link InstantSource}, not on the wall clock: a
 * wait blocks for the time left on that clock, in slices of at most {@link #SLICE}, so that on the
 * production clock it ends when it always did, and on a clock a test moves by hand it ends within a
 * slice of the clock passing the deadline. (A waiting thread wakes once per slice: with hundreds of
 * fetches waiting in one process, as in the bench lab, a few thousand cheap wake-ups a second.)
 */
final class ClockWaits {

    /** The longest a wait blocks before it looks at the clock again. */
    static final Duration SLICE = Duration.ofMillis(100);

    private ClockWaits() {
    }

    private static long left(InstantSource clock, Instant until) {
        return MonotonicClock.nanosBetween(clock.instant(), until);
    }

    /** The future's value, or {@link TimeoutException} once the clock reaches {@code until}. */
    static <T> T get(CompletableFuture<T> f, Instant until, InstantSource clock)
            throws ExecutionException, InterruptedException, TimeoutException {
        while (true) {
            long left = left(clock, until);
            if (left <= 0) {
                if (f.isDone()) {
                    return f.get();
                }
                throw new TimeoutException();
            }
            try {
                return f.get(Math.min(left, SLICE.toNanos()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // look at the clock again
            }
        }
    }

    /** Takes a permit of {@code s}; false if none came before the clock reached {@code until}. */
    static boolean acquire(Semaphore s, Instant until, InstantSource clock) throws InterruptedException {
        while (true) {
            long left = left(clock, until);
            if (left <= 0) {
                return s.tryAcquire();
            }
            if (s.tryAcquire(Math.min(left, SLICE.toNanos()), TimeUnit.NANOSECONDS)) {
                return true;
            }
        }
    }

    /** Returns once the clock has reached {@code until}. */
    static void sleepUntil(Instant until, InstantSource clock) throws InterruptedException {
        long left;
        while ((left = left(clock, until)) > 0) {
            Thread.sleep(Duration.ofNanos(Math.min(left, SLICE.toNanos())));
        }
    }
}
