package io.bootswarm.allocator.reports;

import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.SwarmReport;
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
 * Consumes the agents' {@link SwarmReport}s (consumer group {@code spring.kafka.consumer.group-id},
 * {@code allocator-service}) into the
 * {@link ReportStore}. Records that do not decode, or are not swarm reports, are counted and
 * skipped; the listener never stops on a bad record.
 */
@Component
class SwarmReportListener {

    private static final Logger log = LoggerFactory.getLogger(SwarmReportListener.class);

    private final ReportStore store;
    private final Counter undecodable;

    SwarmReportListener(ReportStore store, MeterRegistry meters) {
        this.store = store;
        this.undecodable = Counter.builder("bootswarm.allocator.reports").tag("outcome", "undecodable")
                .description("swarm reports received, by outcome").register(meters);
    }

    @KafkaListener(id = "allocator-swarm-reports", topics = Topics.SWARM_REPORTS, idIsGroup = false)
    void onRecord(ConsumerRecord<String, String> record) {
        Optional<BootswarmEvent> event = EventCodec.decode(record.value());
        if (event.isEmpty() || !(event.get() instanceof SwarmReport report)) {
            undecodable.increment();
            log.warn("skipping a record at {}-{}@{}: not a swarm report", record.topic(), record.partition(),
                    record.offset());
            return;
        }
        if (store.accept(report) == ReportStore.Outcome.INVALID) {
            log.warn("skipping an invalid swarm report from host '{}'", report.host());
        }
    }
}
