package io.bootswarm.seed.imports;

import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ImportThrottleTest {

    private static final int PIECE = 256 * 1024;
    private static final long RATE = 1024 * 1024;   // burst: max(64 KiB, 1/20 s) = 64 KiB

    private final ManualClock clock = new ManualClock();
    private final MeterRegistry meters = new SimpleMeterRegistry();

    @Test
    void aReadPastTheBurstHoldsTheNextUntilTheClockPaysOffTheDebt() throws Exception {
        ImportThrottle throttle = new ImportThrottle(RATE, clock, meters);
        throttle.pass(PIECE);                       // the burst lets one piece through, 192 KiB in debt

        Future<?> next = CompletableFuture.runAsync(() -> passUnchecked(throttle, PIECE));
        await("the second piece waiting").atMost(Duration.ofSeconds(30)).until(() -> throttle.waiting() == 1);
        clock.advance(Duration.ofMillis(100));      // pays 100 KiB of the 192 KiB
        assertThat(next).isNotDone();
        assertThat(throttle.waiting()).isEqualTo(1);
        assertThat(meters.get("bootswarm.seed.imports.throttled").gauge().value()).isEqualTo(1.0);

        clock.advance(Duration.ofMillis(100));      // the debt is paid
        next.get(30, TimeUnit.SECONDS);

        assertThat(throttle.waiting()).isZero();
        var waits = meters.get("bootswarm.seed.imports.throttle.wait").timer();
        assertThat(waits.count()).isEqualTo(2);
        assertThat(waits.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(200.0);   // on the throttle's clock
    }

    @Test
    void withoutARateNothingWaits() throws Exception {
        ImportThrottle throttle = new ImportThrottle(0, clock, meters);
        for (int i = 0; i < 1000; i++) {
            throttle.pass(PIECE);
        }
        assertThat(throttle.bytesPerSecond()).isZero();
        assertThat(meters.get("bootswarm.seed.imports.throttle.wait").timer().count()).isZero();
    }

    @Test
    void anInterruptedWaitEnds() throws Exception {
        ImportThrottle throttle = new ImportThrottle(RATE, clock, meters);
        throttle.pass(PIECE);
        Thread t = Thread.ofVirtual().unstarted(() -> passUnchecked(throttle, PIECE));
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        t.setUncaughtExceptionHandler((th, e) -> failure.complete(e));
        t.start();
        await("the second piece waiting").atMost(Duration.ofSeconds(30)).until(() -> throttle.waiting() == 1);

        t.interrupt();

        assertThat(failure.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(InterruptedException.class);
        assertThat(throttle.waiting()).isZero();
    }

    @Test
    void aNegativeRateIsRefused() {
        assertThatThrownBy(() -> new ImportThrottle(-1, clock, meters)).isInstanceOf(IllegalArgumentException.class);
    }

    private static void passUnchecked(ImportThrottle throttle, int bytes) {
        try {
            throttle.pass(bytes);
        } catch (InterruptedException e) {
            throw new IllegalStateException("interrupted", e);
        }
    }
}
