package io.bootswarm.profile.ingest;

import io.bootswarm.profile.ProfileITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import io.bootswarm.testing.ManualClock;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An incomplete Kafka trace is purged once its latest chunk is older than the configured age (4 s here), on
 * a clock the test moves (its own context: the service's clock is a {@link ManualClock}); the test runs the
 * housekeeping itself after each move, besides the scheduled runs, which see the same clock.
 */
@Import(PendingTracePurgeIT.HandMovedClock.class)
class PendingTracePurgeIT extends ProfileITSupport {

    @TestConfiguration(proxyBeanMethods = false)
    static class HandMovedClock {
        @Bean
        @Primary
        ManualClock manualClock() {
            return new ManualClock();
        }
    }

    @Autowired
    private MeterRegistry meters;

    @Autowired
    private ManualClock clock;

    @Autowired
    private Housekeeping housekeeping;

    private long chunksOf(UUID traceId) {
        return jdbc.queryForObject("select count(*) from profile.trace_chunk where trace_id = ?", Long.class, traceId);
    }

    @Test
    void incompleteTracesArePurgedWhenOld() {
        UUID image = UUID.randomUUID();
        TraceSender.Trace t = TraceSender.Trace.of(image, "boot", 4096);
        double purged = meters.get("bootswarm.profile.traces.purged").counter().count();
        try (TraceSender sender = new TraceSender(INFRA.kafka())) {
            sender.send(t.chunk(0, false, 0, 0, 1));
            sender.send(t.chunk(1, false, 1, 4096, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> chunksOf(t.traceId()) == 2);
            assertThat(meters.get("bootswarm.profile.traces.pending").gauge().value()).isGreaterThanOrEqualTo(1);

            // younger than 4 s: kept
            clock.advance(Duration.ofSeconds(4).minusMillis(1));
            housekeeping.purge();
            assertThat(chunksOf(t.traceId())).isEqualTo(2);

            clock.advance(Duration.ofMillis(2));
            housekeeping.purge();
            assertThat(chunksOf(t.traceId())).isZero();
            assertThat(meters.get("bootswarm.profile.traces.purged").counter().count()).isGreaterThanOrEqualTo(purged + 1);

            // the rest arriving late does not complete the purged trace
            sender.send(t.chunk(2, true, 2, 8192, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> chunksOf(t.traceId()) == 1);
        }
        assertThat(get("/api/v1/profiles/" + image + "/boot/compact").status()).isEqualTo(404);
    }
}
