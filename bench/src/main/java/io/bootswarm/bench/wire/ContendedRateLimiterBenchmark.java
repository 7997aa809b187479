package io.bootswarm.bench.wire;

import io.bootswarm.common.wire.RateLimiter;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a {@link RateLimiter} costs in CPU when many connections share it, as every connection an agent serves
 * shares its upload bucket: {@code threads} platform threads take 16 KiB blocks from one limiter at
 * {@code rate} bytes/s for {@code seconds}; it prints the rate achieved and the process CPU spent per second of
 * traffic. The limiter should hold its rate whatever the thread count, and its CPU should not grow with it.
 *
 * <pre>
 *   ./mvnw -pl bench -am package -DskipTests
 *   java -cp bench/target/benchmarks.jar io.bootswarm.bench.wire.ContendedRateLimiterBenchmark 32 12500000 5
 * </pre>
 *
 * Measured when the limiter stopped waking every waiter for each block passed (only the next in line is woken
 * now), 32 threads at 12.5 MB/s, the two builds back to back, twice: 198 and 182 ms of CPU per second of
 * traffic before, 52 and 69 after, each at 12.2–12.6 MB/s.
 */
public final class ContendedRateLimiterBenchmark {

    private ContendedRateLimiterBenchmark() {
    }

    public static void main(String[] args) throws InterruptedException {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 32;
        long rate = args.length > 1 ? Long.parseLong(args[1]) : 12_500_000;
        int seconds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        RateLimiter limiter = RateLimiter.perSecond(rate);
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpuStart = os.getProcessCpuTime();
        long start = System.nanoTime();
        long end = start + seconds * 1_000_000_000L;
        AtomicLong sent = new AtomicLong();
        List<Thread> senders = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            senders.add(Thread.ofPlatform().start(() -> {
                try {
                    while (System.nanoTime() < end) {
                        limiter.acquire(16 * 1024, false);
                        sent.addAndGet(16 * 1024);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : senders) {
            t.join();
        }
        double wall = (System.nanoTime() - start) / 1e9;
        System.out.printf("%d threads at %d B/s: %.2f MB/s achieved, %.0f ms of process CPU per second of traffic%n",
                threads, rate, sent.get() / wall / 1e6, (os.getProcessCpuTime() - cpuStart) / 1e6 / wall);
    }
}
