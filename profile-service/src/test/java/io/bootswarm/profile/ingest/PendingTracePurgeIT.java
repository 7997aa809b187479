package io.bootswarm.profile.ingest;

import io.bootswarm.profile.ProfileITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** An incomplete Kafka trace is purged once its latest chunk is older than the configured age (4 s here). */
class PendingTracePurgeIT extends ProfileITSupport {

    @Autowired
    private MeterRegistry meters;

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
            long stored = System.nanoTime();
            assertThat(meters.get("bootswarm.profile.traces.pending").gauge().value()).isGreaterThanOrEqualTo(1);

            // younger than 4 s: kept
            await().pollDelay(Duration.ofMillis(2500)).atMost(Duration.ofSeconds(3)).until(() -> true);
            assertThat(chunksOf(t.traceId())).isEqualTo(2);

            await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                    .until(() -> chunksOf(t.traceId()) == 0);
            assertThat(Duration.ofNanos(System.nanoTime() - stored)).isGreaterThanOrEqualTo(Duration.ofMillis(3500));
            assertThat(meters.get("bootswarm.profile.traces.purged").counter().count()).isGreaterThanOrEqualTo(purged + 1);

            // the rest arriving late does not complete the purged trace
            sender.send(t.chunk(2, true, 2, 8192, 1));
            await().atMost(Duration.ofSeconds(30)).until(() -> chunksOf(t.traceId()) == 1);
        }
        assertThat(get("/api/v1/profiles/" + image + "/boot/compact").status()).isEqualTo(404);
    }
}
