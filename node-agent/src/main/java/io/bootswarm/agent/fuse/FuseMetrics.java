package io.bootswarm.agent.fuse;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.ToDoubleFunction;

/** The FUSE mount's counters, published to a Micrometer registry. */
final class FuseMetrics {

    final LongAdder reads = new LongAdder();
    final LongAdder readNanos = new LongAdder();
    final LongAdder bytesRead = new LongAdder();
    final LongAdder writes = new LongAdder();
    final LongAdder bytesWritten = new LongAdder();
    final LongAdder fsyncs = new LongAdder();
    final LongAdder opens = new LongAdder();
    final AtomicInteger openFiles = new AtomicInteger();
    final LongAdder errEio = new LongAdder();
    final LongAdder errEinval = new LongAdder();
    final LongAdder errEnospc = new LongAdder();
    final LongAdder errEnoent = new LongAdder();
    final LongAdder errOther = new LongAdder();

    /**
     * Publishes {@code bootswarm.fuse.requests{op=read|write|fsync|open}},
     * {@code bootswarm.fuse.read.bytes}, {@code bootswarm.fuse.written.bytes}, the timer
     * {@code bootswarm.fuse.read.time} (how long reads took, waits for missing pieces included),
     * {@code bootswarm.fuse.errors{error=EIO|EINVAL|ENOSPC|ENOENT|other}} and the gauge
     * {@code bootswarm.fuse.open.files}.
     */
    void bindTo(MeterRegistry registry) {
        for (Map.Entry<String, LongAdder> e : Map.of("read", reads, "write", writes, "fsync", fsyncs, "open", opens)
                .entrySet()) {
            FunctionCounter.builder("bootswarm.fuse.requests", e.getValue(), LongAdder::sum).tag("op", e.getKey())
                    .description("FUSE requests served on disk files").register(registry);
        }
        FunctionCounter.builder("bootswarm.fuse.read.bytes", bytesRead, LongAdder::sum).baseUnit("bytes")
                .description("Bytes read through the FUSE mount").register(registry);
        FunctionCounter.builder("bootswarm.fuse.written.bytes", bytesWritten, LongAdder::sum).baseUnit("bytes")
                .description("Bytes written through the FUSE mount").register(registry);
        ToDoubleFunction<FuseMetrics> nanos = m -> m.readNanos.sum();
        FunctionTimer.builder("bootswarm.fuse.read.time", this, m -> m.reads.sum(), nanos, TimeUnit.NANOSECONDS)
                .description("Time FUSE reads took, waits for missing pieces included").register(registry);
        for (Map.Entry<String, LongAdder> e : Map.of("EIO", errEio, "EINVAL", errEinval, "ENOSPC", errEnospc,
                "ENOENT", errEnoent, "other", errOther).entrySet()) {
            FunctionCounter.builder("bootswarm.fuse.errors", e.getValue(), LongAdder::sum).tag("error", e.getKey())
                    .description("FUSE requests answered with an error").register(registry);
        }
        Gauge.builder("bootswarm.fuse.open.files", openFiles, AtomicInteger::get)
                .description("disk files open through the FUSE mount").register(registry);
    }
}
