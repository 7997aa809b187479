package io.bootswarm.seed.imports;

import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.RateLimiter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Paces path imports at {@code bootswarm.seed.path-import-rate}: all path imports of the seed together
 * read at most that many bytes per second from the import directory (after a burst of 1/20 s of it), so
 * that a large import does not take the disk bandwidth the seed's uploads to peers need. Uploads are not
 * paced: their sender sets their pace.
 *
 * <p>The budget refills on an {@link InstantSource} ({@link MonotonicClock#system()} in production). On
 * a clock a test moves by hand, an import reads its burst and then holds until the clock is moved, so a
 * test sees its progress at a byte count instead of sampling it in time.
 *
 * <p>Meters: {@code bootswarm.seed.imports.throttled} (path imports waiting for the rate now) and
 * {@code bootswarm.seed.imports.throttle.wait} (how long they waited, on the throttle's clock).
 */
public final class ImportThrottle {

    private final RateLimiter limiter;
    private final InstantSource clock;
    private final AtomicInteger waiting = new AtomicInteger();
    private final Timer waits;

    /**
     * @param bytesPerSecond what all path imports together may read per second; 0 for no limit
     * @param clock          what the budget refills by
     */
    public ImportThrottle(long bytesPerSecond, InstantSource clock, MeterRegistry meters) {
        if (bytesPerSecond < 0) {
            throw new IllegalArgumentException("the import rate must not be negative: " + bytesPerSecond);
        }
        this.limiter = RateLimiter.perSecond(bytesPerSecond, clock);
        this.clock = clock;
        Gauge.builder("bootswarm.seed.imports.throttled", waiting, AtomicInteger::get)
                .description("path imports waiting for bootswarm.seed.path-import-rate").register(meters);
        this.waits = Timer.builder("bootswarm.seed.imports.throttle.wait")
                .description("time path imports waited for bootswarm.seed.path-import-rate").register(meters);
    }

    /** Bytes per second over all path imports; 0 when unlimited. */
    public long bytesPerSecond() {
        return limiter.bytesPerSecond();
    }

    /**
     * Waits until an import may go on after having read {@code bytes} more; a read that overdraws the
     * budget passes, and the next ones wait the debt off.
     *
     * @throws InterruptedException when the wait is interrupted (the seed is shutting down)
     */
    public void pass(int bytes) throws InterruptedException {
        if (!limiter.isLimited() || bytes <= 0) {
            return;
        }
        Instant start = clock.instant();
        waiting.incrementAndGet();
        try {
            limiter.acquire(bytes, false);
        } finally {
            waiting.decrementAndGet();
            waits.record(Duration.between(start, clock.instant()));
        }
    }

    /** Path imports waiting in {@link #pass} now. */
    int waiting() {
        return waiting.get();
    }
}
