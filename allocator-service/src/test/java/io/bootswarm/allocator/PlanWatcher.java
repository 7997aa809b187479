package io.bootswarm.allocator;

import java.util.HashMap;
import io.bootswarm.infra.kafka.KafkaServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.springframework.jdbc.core.JdbcTemplate;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;


/**
 * Reads the allocation plans published after it was created, as seed-service does, keeping those
 * of one allocator: every test class's allocator consumes every report (each has its own consumer
 * group) and publishes on the same topic, so a plan counts only if it is in this allocator's
 * history.
 */
public final class PlanWatcher implements AutoCloseable {

    private static final TopicPartition PLANS = new TopicPartition(Topics.ALLOCATION_PLANS, 0);

    private final KafkaConsumer<String, String> consumer;
    private final List<AllocationPlan> seen = new ArrayList<>();
    private final JdbcTemplate history;

    /** @param history the allocator's database */
    public PlanWatcher(KafkaServer kafka, JdbcTemplate history) {
        this.history = history;
        // reads as the seed does, the one principal the ACLs let read plans
        Map<String, Object> config = new HashMap<>(kafka.clientProperties(KafkaUser.SEED));
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumer = new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
        consumer.assign(List.of(PLANS));
        consumer.seekToEnd(List.of(PLANS));
        consumer.position(PLANS);
    }

    /** Every plan read so far that has a rate for each of {@code swarmIds} (group or image ids). */
    public List<AllocationPlan> plansFor(Set<String> swarmIds) {
        poll();
        return seen.stream().filter(covering(swarmIds)).toList();
    }

    /** Waits for a plan with a rate for each of {@code swarmIds} that {@code also} holds for. */
    public AllocationPlan await(Set<String> swarmIds, Predicate<AllocationPlan> also, Duration atMost) {
        AllocationPlan[] found = new AllocationPlan[1];
        org.awaitility.Awaitility.await().atMost(atMost).pollInterval(Duration.ofMillis(100)).until(() -> {
            found[0] = plansFor(swarmIds).stream().filter(also).reduce((a, b) -> b).orElse(null);
            return found[0] != null;
        });
        return found[0];
    }

    public static Predicate<AllocationPlan> covering(Set<String> swarmIds) {
        return p -> p.rates().stream().map(PlanWatcher::idOf).toList().containsAll(swarmIds);
    }

    public static String idOf(AllocationPlan.Rate r) {
        return r.groupId() != null ? r.groupId() : r.imageId().toString();
    }

    /** Reads up to the end of the topic, or for 2 s at most. */
    private void poll() {
        Duration timeout = Duration.ofMillis(200);
        long deadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (System.nanoTime() < deadline) {
            var records = consumer.poll(timeout);
            for (ConsumerRecord<String, String> r : records) {
                EventCodec.decode(r.value()).filter(AllocationPlan.class::isInstance).map(AllocationPlan.class::cast)
                        .filter(p -> Boolean.TRUE.equals(history.queryForObject(
                                "select exists(select 1 from allocator.plan where id = ?)", Boolean.class, p.planId())))
                        .ifPresent(seen::add);
            }
            if (records.isEmpty() && consumer.position(PLANS) >= consumer.endOffsets(List.of(PLANS)).get(PLANS)) {
                return;
            }
            timeout = Duration.ofMillis(50);
        }
    }

    @Override
    public void close() {
        consumer.close();
    }
}
