package io.bootswarm.common.wire;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

class RateLimiterTest {

    @Test
    void theRateHoldsWithinTenPercentOverASecond() throws Exception {
        long rate = 4L << 20;
        RateLimiter limiter = new RateLimiter(rate, 64 * 1024);
        long start = System.nanoTime();
        long sent = 0;
        while (sent < rate) {
            limiter.acquire(16 * 1024, false);
            sent += 16 * 1024;
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        // one second of traffic minus the initial burst
        assertThat(seconds).isBetween(0.9 * (rate - 64 * 1024) / rate, 1.1);
    }

    @Test
    void urgentCallersGoFirst() throws Exception {
        RateLimiter limiter = new RateLimiter(1L << 20, 16 * 1024);
        limiter.acquire(256 * 1024, false); // deep debt: everyone now waits ~250 ms
        List<String> order = new CopyOnWriteArrayList<>();
        CountDownLatch started = new CountDownLatch(4);
        List<Thread> threads = List.of(
                Thread.ofVirtual().start(() -> take(limiter, false, "normal-1", order, started)),
                Thread.ofVirtual().start(() -> take(limiter, false, "normal-2", order, started)),
                Thread.ofVirtual().start(() -> take(limiter, false, "normal-3", order, started)));
        Thread.sleep(50);
        Thread urgent = Thread.ofVirtual().start(() -> take(limiter, true, "urgent", order, started));
        for (Thread t : threads) {
            t.join();
        }
        urgent.join();
        assertThat(order.getFirst()).isEqualTo("urgent");
        assertThat(order).hasSize(4);
    }

    @Test
    void unlimitedNeverWaits() throws Exception {
        AtomicLong n = new AtomicLong();
        long start = System.nanoTime();
        for (int i = 0; i < 100_000; i++) {
            RateLimiter.UNLIMITED.acquire(1 << 20, false);
            n.incrementAndGet();
        }
        assertThat(n.get()).isEqualTo(100_000);
        assertThat(System.nanoTime() - start).isLessThan(1_000_000_000L);
        assertThat(RateLimiter.perSecond(0)).isSameAs(RateLimiter.UNLIMITED);
    }

    private static void take(RateLimiter l, boolean urgent, String name, List<String> order, CountDownLatch started) {
        started.countDown();
        try {
            l.acquire(64 * 1024, urgent);
            order.add(name);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
