package io.bootswarm.profile.ingest;

import io.bootswarm.profile.ProfileProperties;
import io.bootswarm.profile.store.ProfileStore;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.time.Clock;

/**
 * Purges incomplete Kafka traces whose latest chunk is older than
 * {@code bootswarm.profile.pending-trace-max-age} (every {@code housekeeping-interval}), and publishes
 * the gauges {@code bootswarm.profile.traces.pending} and {@code bootswarm.profile.profiles}, read from
 * the database when scraped.
 */
@Component
class Housekeeping {

    private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);

    private final TraceAssembler assembler;
    private final ProfileProperties properties;
    private final Clock clock;
    private final Counter purged;

    Housekeeping(TraceAssembler assembler, ProfileStore profiles, ProfileProperties properties, Clock clock,
                 MeterRegistry meters) {
        this.assembler = assembler;
        this.properties = properties;
        this.clock = clock;
        this.purged = Counter.builder("bootswarm.profile.traces.purged")
                .description("incomplete access traces dropped for age").register(meters);
        Gauge.builder("bootswarm.profile.traces.pending", assembler, TraceAssembler::pending)
                .description("access traces with chunks waiting for the rest").register(meters);
        Gauge.builder("bootswarm.profile.profiles", profiles, ProfileStore::count)
                .description("profiles in the registry").register(meters);
    }

    @Scheduled(fixedDelayString = "${bootswarm.profile.housekeeping-interval:1m}",
            initialDelayString = "${bootswarm.profile.housekeeping-interval:1m}")
    void purge() {
        try {
            int n = assembler.purgeBefore(clock.instant().minus(properties.pendingTraceMaxAge()));
            purged.increment(n);
        } catch (RuntimeException e) {
            log.warn("purging incomplete access traces failed; will try again: {}", e.toString());
        }
    }
}
