package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.PreheatStatus;
import io.bootswarm.common.events.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * Consumes agents' {@link LaunchStatus} reports (group {@code tracker-service}). Records that do
 * not decode, or are not launch statuses, or lack their ids, are logged and skipped; a database
 * failure is counted ({@code outcome=failed}) and retried by the container's error handler, while the
 * database is away until it is back ({@link DatabaseOutage}). Redelivered and reordered reports are
 * harmless: only a newer sequence changes a host row; reports out of {@link StatusBounds} are dropped.
 * {@link PreheatStatus} reports share the topic and go to {@link PreheatService}.
 */
@Component
class LaunchStatusListener {

    private static final Logger log = LoggerFactory.getLogger(LaunchStatusListener.class);

    private final LaunchService launches;
    private final PreheatService preheats;
    private final Counter undecodable;
    private final Counter failed;

    LaunchStatusListener(LaunchService launches, PreheatService preheats, MeterRegistry meters) {
        this.launches = launches;
        this.preheats = preheats;
        this.undecodable = Counter.builder("bootswarm.tracker.launch.status").description("launch status reports by outcome")
                .tag("outcome", "undecodable").register(meters);
        this.failed = Counter.builder("bootswarm.tracker.launch.status").description("launch status reports by outcome")
                .tag("outcome", "failed").register(meters);
    }

    @KafkaListener(id = "tracker-launch-status", topics = Topics.LAUNCH_STATUS, groupId = "tracker-service")
    void onRecord(ConsumerRecord<String, String> record) {
        if (EventCodec.decode(record.value()).orElse(null) instanceof PreheatStatus preheat) {
            onPreheat(preheat, record);
            return;
        }
        Optional<LaunchStatus> event = EventCodec.decode(record, LaunchStatus.class, undecodable);
        if (event.isEmpty()) {
            return;
        }
        LaunchStatus status = event.get();
        if (status.launchId() == null || status.host() == null || status.state() == null) {
            undecodable.increment();
            log.warn("skipping launch status without launch id, host or state at {}-{}@{}", record.topic(),
                    record.partition(), record.offset());
            return;
        }
        try {
            launches.applyStatus(status);
        } catch (RuntimeException e) {
            failed.increment();
            log.debug("launch status for {} host {} not applied, to be retried: {}", status.launchId(), status.host(),
                    e.toString());
            throw e;
        }
    }

    private void onPreheat(PreheatStatus status, ConsumerRecord<String, String> record) {
        if (status.preheatId() == null || status.host() == null || status.state() == null) {
            undecodable.increment();
            log.warn("skipping preheat status without preheat id, host or state at {}-{}@{}", record.topic(),
                    record.partition(), record.offset());
            return;
        }
        try {
            preheats.applyStatus(status);
        } catch (RuntimeException e) {
            failed.increment();
            log.debug("preheat status for {} host {} not applied, to be retried: {}", status.preheatId(),
                    status.host(), e.toString());
            throw e;
        }
    }
}
