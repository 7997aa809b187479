package io.bootswarm.common.time;

import java.time.Instant;
import java.time.InstantSource;

/**
 * The data plane's production time source: an {@link InstantSource} that never runs backwards, anchored
 * to the wall clock once and advanced by {@link System#nanoTime()} after that. Every data-plane class that
 * reads time takes an {@code InstantSource} (this one in production, a hand-moved clock in tests), so
 * timeouts, rate limits and choke rotations are tested on states and counts, not on elapsed wall time.
 */
public final class MonotonicClock implements InstantSource {

    private static final MonotonicClock SYSTEM = new MonotonicClock();

    private final Instant anchor = Instant.now();
    private final long anchorNanos = System.nanoTime();

    private MonotonicClock() {}

    /** The process-wide instance. */
    public static InstantSource system() {
        return SYSTEM;
    }

    @Override
    public Instant instant() {
        return anchor.plusNanos(System.nanoTime() - anchorNanos);
    }

    @Override
    public long millis() {
        return instant().toEpochMilli();
    }

    /**
     * {@code clock}'s time in nanoseconds since the epoch, for code that keeps time stamps in {@code long}s
     * (as it kept {@code nanoTime()}s): differences of two such values are durations in nanoseconds.
     */
    public static long nanos(InstantSource clock) {
        Instant now = clock.instant();
        return Math.addExact(Math.multiplyExact(now.getEpochSecond(), 1_000_000_000L), now.getNano());
    }

    /** Nanoseconds between two instants of any source, for code that used to subtract {@code nanoTime()}s. */
    public static long nanosBetween(Instant from, Instant to) {
        return java.time.Duration.between(from, to).toNanos();
    }
}
