package io.bootswarm.common.wire;

import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link RateLimiter} on a hand-moved clock: what passes is counted in bytes after moving the clock, never
 * timed. (What rate it achieves on the real clock is measured by bench's {@code RateLimiterBenchmark}.)
 */
class RateLimiterTest {

    private final ManualClock clock = new ManualClock();

    @Test
    void theBurstPassesAtOnceAndThenExactlyTheRate() throws Exception {
        long rate = 4L << 20;
        RateLimiter limiter = new RateLimiter(rate, 64 * 1024, clock);
        assertThat(limiter.available()).isEqualTo(64 * 1024);
        limiter.acquire(64 * 1024, false);
        assertThat(limiter.available()).isZero();
        clock.advance(Duration.ofMillis(250));
        assertThat(limiter.available()).as("a quarter second's worth, capped at the burst").isEqualTo(64 * 1024);
        // a second of traffic in 16 KiB blocks: on a clock that stands still, only what the bucket holds passes
        AtomicLong sent = new AtomicLong();
        Thread sender = Thread.ofVirtual().start(() -> {
            try {
                while (sent.get() < rate) {
                    limiter.acquire(16 * 1024, false);
                    sent.addAndGet(16 * 1024);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        await().until(() -> limiter.callersIn(false) == 1 && limiter.available() <= 0);
        assertThat(sent.get()).as("the full bucket, the last block passing into debt").isEqualTo(64 * 1024);
        // each step of 1/256 s refills 16 KiB: one block per step, exactly
        for (int step = 1; step <= 16; step++) {
            clock.advance(Duration.ofNanos(1_000_000_000L / 256));
            long expected = 64 * 1024 + step * 16 * 1024L;
            await().until(() -> sent.get() == expected && limiter.callersIn(false) == 1);
        }
        sender.interrupt();
        sender.join();
    }

    @Test
    void aBlockLargerThanTheBurstPassesIntoDebtThatLaterCallersWaitOff() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024, clock);
        limiter.acquire(256 * 1024, false);
        assertThat(limiter.available()).isEqualTo(16 * 1024 - 256 * 1024);
        clock.advance(Duration.ofNanos(62_500_000)); // 1/16 s: 64 KiB of the debt paid off
        assertThat(limiter.available()).isEqualTo(16 * 1024 - 256 * 1024 + 64 * 1024);
        clock.advance(Duration.ofSeconds(10));
        assertThat(limiter.available()).as("never more than the burst").isEqualTo(16 * 1024);
    }

    /**
     * A limiter idle for longer than {@code Long.MAX_VALUE / rate} nanoseconds (88 s at 100 MiB/s, the local fleet's
     * seed upload) is full, not in a debt of gigabytes: the refill's nanoseconds times bytes per second overflowed a
     * long, and a seed idle for two minutes then held its next uploads for about 26 s.
     */
    @Test
    void aLimiterIdleForMinutesAtAHighRateIsFull() throws Exception {
        RateLimiter limiter = RateLimiter.perSecond(100L << 20, clock);
        long burst = limiter.available();
        for (Duration idle : List.of(Duration.ofSeconds(90), Duration.ofSeconds(150), Duration.ofDays(400))) {
            clock.advance(idle);
            assertThat(limiter.available()).as("after %s idle", idle).isEqualTo(burst);
            assertThat(limiter.acquire(16 * 1024, true, () -> false)).isTrue();
        }
    }

    @Test
    void urgentCallersGoFirst() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024, clock);
        limiter.acquire(256 * 1024, false); // deep debt: everyone waits until the clock moves
        List<String> order = new CopyOnWriteArrayList<>();
        List<Thread> normal = List.of(
                Thread.ofVirtual().start(() -> take(limiter, false, "normal-1", order)),
                Thread.ofVirtual().start(() -> take(limiter, false, "normal-2", order)),
                Thread.ofVirtual().start(() -> take(limiter, false, "normal-3", order)));
        await().until(() -> limiter.callersIn(false) == 3);
        Thread urgent = Thread.ofVirtual().start(() -> take(limiter, true, "urgent", order));
        await().until(() -> limiter.callersIn(true) == 1);
        assertThat(order).isEmpty();

        clock.advance(Duration.ofMillis(250)); // the debt paid off, and a full bucket
        urgent.join();
        assertThat(order).containsExactly("urgent");
        for (int passed = 1; passed <= 3; passed++) {
            clock.advance(Duration.ofSeconds(1)); // one caller's debt paid off
            int expected = passed + 1;
            await().until(() -> order.size() == expected);
        }
        for (Thread t : normal) {
            t.join();
        }
        assertThat(order.getFirst()).isEqualTo("urgent");
        assertThat(order).hasSize(4);
    }

    @Test
    void unlimitedNeverWaits() throws Exception {
        for (int i = 0; i < 100_000; i++) {
            RateLimiter.UNLIMITED.acquire(1 << 20, false);
        }
        assertThat(RateLimiter.UNLIMITED.isLimited()).isFalse();
        assertThat(RateLimiter.UNLIMITED.available()).isEqualTo(Long.MAX_VALUE);
        assertThat(RateLimiter.perSecond(0)).isSameAs(RateLimiter.UNLIMITED);
        assertThat(RateLimiter.perSecond(-1, clock)).isSameAs(RateLimiter.UNLIMITED);
    }

    private static void take(RateLimiter l, boolean urgent, String name, List<String> order) {
        try {
            l.acquire(64 * 1024, urgent);
            order.add(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void callersOfOneClassPassInTheOrderTheyCame() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024, clock);
        limiter.acquire(16 * 1024, false);
        List<String> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 1; i <= 4; i++) {
            String name = "normal-" + i;
            threads.add(Thread.ofVirtual().start(() -> take(limiter, false, name, order, 16 * 1024)));
            int waiting = i;
            await().until(() -> limiter.callersIn(false) == waiting);
        }
        for (int passed = 1; passed <= 4; passed++) {
            clock.advance(Duration.ofNanos(1_000_000_000L / 64)); // one 16 KiB block's worth
            int expected = passed;
            await().until(() -> order.size() == expected && limiter.callersIn(false) == 4 - expected);
        }
        assertThat(order).containsExactly("normal-1", "normal-2", "normal-3", "normal-4");
        for (Thread t : threads) {
            t.join();
        }
    }

    /**
     * Uploads wait in the order their requests arrived, not in the order their writers came back: the blocks of the
     * oldest request pass first whichever connection asked, so a link completes one piece after another instead of
     * a round robin over all of them (in which every piece completes at the end).
     */
    @Test
    void callersWithAnOrderPassOldestOrderFirstWhateverTheyCameIn() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024, clock);
        limiter.acquire(16 * 1024, false);
        List<String> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new java.util.ArrayList<>();
        long[] requested = {40, 10, 30, 20};
        for (int i = 0; i < requested.length; i++) {
            String name = "requested-at-" + requested[i];
            long at = requested[i];
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    limiter.acquire(16 * 1024, false, at, () -> false);
                    order.add(name);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
            int waiting = i + 1;
            await().until(() -> limiter.callersIn(false) == waiting);
        }
        for (int passed = 1; passed <= requested.length; passed++) {
            clock.advance(Duration.ofNanos(1_000_000_000L / 64)); // one 16 KiB block's worth
            int expected = passed;
            await().until(() -> order.size() == expected && limiter.callersIn(false) == requested.length - expected);
        }
        assertThat(order).containsExactly("requested-at-10", "requested-at-20", "requested-at-30", "requested-at-40");
        for (Thread t : threads) {
            t.join();
        }
    }

    /**
     * Each pass hands over to the next caller in line alone: with eight callers waiting, eight passes wake no
     * caller that is not next (waking every waiter on each 16 KiB block cost an agent's connections more CPU than
     * the bytes). The unsignalled recheck is set to an hour so that only signals can wake anyone.
     */
    @Test
    void aPassWakesOnlyTheNextCallerInLine() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024, clock, Duration.ofHours(1));
        limiter.acquire(16 * 1024, false);
        List<String> order = new CopyOnWriteArrayList<>();
        List<Thread> threads = new java.util.ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            String name = "normal-" + i;
            threads.add(Thread.ofVirtual().start(() -> take(limiter, false, name, order, 16 * 1024)));
            int waiting = i;
            await().until(() -> limiter.callersIn(false) == waiting);
        }
        for (int passed = 1; passed <= 8; passed++) {
            clock.advance(Duration.ofNanos(1_000_000_000L / 64)); // one 16 KiB block's worth
            int expected = passed;
            await().until(() -> order.size() == expected && limiter.callersIn(false) == 8 - expected);
        }
        for (Thread t : threads) {
            t.join();
        }
        assertThat(order).hasSize(8);
        // a spurious wake-up (the JVM allows them) may add one or two; waking all gives 7 + 6 + … = 28 or more
        assertThat(limiter.idleWakeups()).as("callers woken while another was next").isLessThanOrEqualTo(2);
    }

    @Test
    void aWaitIsAbandonedWithoutAnInterruptAndTakesNothing() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024, clock);
        limiter.acquire(16 * 1024, false);
        java.util.concurrent.atomic.AtomicBoolean gone = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.CompletableFuture<Boolean> taken = new java.util.concurrent.CompletableFuture<>();
        Thread waiter = Thread.ofVirtual().start(() -> {
            try {
                taken.complete(limiter.acquire(16 * 1024, true, gone::get));
            } catch (InterruptedException e) {
                taken.completeExceptionally(e);
            }
        });
        await().until(() -> limiter.callersIn(true) == 1);
        gone.set(true);
        limiter.wake();
        assertThat(taken.get()).as("abandoned").isFalse();
        waiter.join();
        assertThat(waiter.isInterrupted()).isFalse();
        assertThat(limiter.callersIn(true)).isZero();
        clock.advance(Duration.ofNanos(1_000_000_000L / 64));
        assertThat(limiter.available()).as("the abandoned caller took nothing").isEqualTo(16 * 1024);
    }

    private static void take(RateLimiter l, boolean urgent, String name, List<String> order, int bytes) {
        try {
            l.acquire(bytes, urgent);
            order.add(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
