package io.bootswarm.allocator.reports;

import io.bootswarm.allocator.leader.LeaderProperties;
import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.events.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * Consumes the agents' {@link SwarmReport}s into the {@link ReportStore}. Every replica reads every
 * partition, in a consumer group of its own ({@code spring.kafka.consumer.group-id} followed by the
 * instance name, {@code allocator-service-<instance>}): a standby's store is as full as the leader's, so
 * it can plan the moment it is elected. A new group starts at the latest offset: older reports would have
 * expired anyway, and a new replica is warm within one report interval instead of after replaying the
 * topic's retention. Records that do not decode, or are not swarm reports, are counted and
 * skipped; the listener never stops on a bad record.
 */
@Component
class SwarmReportListener {

    private static final Logger log = LoggerFactory.getLogger(SwarmReportListener.class);

    private final ReportStore store;
    /** The id of the listener container (tests wait for its partitions). */
    static final String LISTENER_ID = "allocator-swarm-reports";

    private final Counter undecodable;
    private final String groupId;

    SwarmReportListener(ReportStore store, MeterRegistry meters, LeaderProperties leader,
                        @Value("${spring.kafka.consumer.group-id:allocator-service}") String group) {
        this.store = store;
        this.groupId = group + "-" + leader.instance();
        this.undecodable = Counter.builder("bootswarm.allocator.reports").tag("outcome", "undecodable")
                .description("swarm reports received, by outcome").register(meters);
    }

    /** This replica's consumer group. */
    public String getGroupId() {
        return groupId;
    }

    @KafkaListener(id = LISTENER_ID, topics = Topics.SWARM_REPORTS, groupId = "#{__listener.groupId}",
            properties = "auto.offset.reset=latest")
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
