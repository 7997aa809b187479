package io.bootswarm.agent.disk;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;

/**
 * The host cache's meters, {@code bootswarm.agent.cache.*}: {@code size} (bytes on disk, evicted
 * slots not punched yet included) against {@code max-size} (the quota; absent without one),
 * {@code hits} and {@code misses} (reads that found their piece in the store or not) and
 * {@code evictions} (pieces evicted).
 */
public final class CacheMetrics implements MeterBinder {

    private final PieceStore store;

    public CacheMetrics(PieceStore store) {
        this.store = store;
    }

    @Override
    public void bindTo(MeterRegistry meters) {
        Gauge.builder("bootswarm.agent.cache.size", store, s -> s.stats().bytes()).baseUnit("bytes")
                .description("bytes the piece store takes on disk").register(meters);
        if (store.quota().limited()) {
            Gauge.builder("bootswarm.agent.cache.max-size", store, s -> s.quota().maxBytes()).baseUnit("bytes")
                    .description("the piece store's quota").register(meters);
        }
        FunctionCounter.builder("bootswarm.agent.cache.hits", store, s -> s.stats().hits())
                .description("reads that found their piece in the store").register(meters);
        FunctionCounter.builder("bootswarm.agent.cache.misses", store, s -> s.stats().misses())
                .description("reads that found their piece missing").register(meters);
        FunctionCounter.builder("bootswarm.agent.cache.evictions", store, s -> s.stats().evictions())
                .description("pieces evicted to keep the store under its quota").register(meters);
    }
}
