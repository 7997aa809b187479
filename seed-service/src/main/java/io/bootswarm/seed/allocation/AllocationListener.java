package io.bootswarm.seed.allocation;

import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.events.Topics;
import io.bootswarm.seed.SeedIdentity;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * Feeds the {@link UploadSplit} from Kafka: allocator-service's plans and the agents' swarm reports.
 * Every seed reads both topics whole in consumer groups of its own ({@code seed-service-<seed id>-plans}
 * and {@code -reports}); plans from the earliest offset the first time, so a new seed finds the
 * newest plan already published (expired ones are dropped, see {@link PlanBounds}), reports from the
 * latest (old ones would have expired anyway). Undecodable records are skipped: reports with a log
 * line each, plans counted as dropped and logged once a minute.
 */
@Component
@ConditionalOnProperty(name = "bootswarm.seed.allocation.enabled", havingValue = "true", matchIfMissing = true)
class AllocationListener {

    private static final Logger log = LoggerFactory.getLogger(AllocationListener.class);

    private final UploadSplit split;
    private final String groupId;

    AllocationListener(UploadSplit split, SeedIdentity identity) {
        this.split = split;
        this.groupId = "seed-service-" + identity.id();
    }

    /** The consumer group of this seed. */
    public String getGroupId() {
        return groupId;
    }

    @KafkaListener(topics = Topics.ALLOCATION_PLANS, groupId = "#{__listener.groupId + '-plans'}",
            properties = "auto.offset.reset=earliest")
    void onPlan(ConsumerRecord<String, String> record) {
        Optional<BootswarmEvent> event = EventCodec.decode(record.value());
        if (event.isEmpty() || !(event.get() instanceof AllocationPlan plan)) {
            split.undecodable(record.topic() + "-" + record.partition() + "@" + record.offset());
            return;
        }
        UploadSplit.Outcome outcome = split.accept(plan);
        log.debug("allocation plan {} ({}, {} swarms): {}", plan.planId(), plan.strategy(), plan.rates().size(),
                outcome);
    }

    @KafkaListener(topics = Topics.SWARM_REPORTS, groupId = "#{__listener.groupId + '-reports'}",
            properties = "auto.offset.reset=latest")
    void onReport(ConsumerRecord<String, String> record) {
        Optional<BootswarmEvent> event = EventCodec.decode(record.value());
        if (event.isEmpty() || !(event.get() instanceof SwarmReport report)) {
            log.warn("skipping a record that is not a swarm report at {}-{}@{}", record.topic(), record.partition(),
                    record.offset());
            return;
        }
        split.accept(report);
    }
}
