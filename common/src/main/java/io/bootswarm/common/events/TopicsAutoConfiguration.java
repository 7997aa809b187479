package io.bootswarm.common.events;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

import java.util.List;

/**
 * Declares every bootswarm topic in each service, so that Kafka's admin client creates those
 * missing at start (with {@code bootswarm.kafka.partitions} partitions and
 * {@code bootswarm.kafka.replication-factor} replicas, -1 for the broker's default) instead of the
 * first producer or consumer tripping over an unknown topic. Off with
 * {@code bootswarm.kafka.create-topics=false}, where an admin creates the topics (a service has no
 * right to under the ACLs of a secured cluster).
 */
@AutoConfiguration(afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(KafkaAdmin.class)
@ConditionalOnProperty(name = "bootswarm.kafka.create-topics", havingValue = "true", matchIfMissing = true)
public class TopicsAutoConfiguration {

    /**
     * Largest allocation-plan record the plans topic accepts: a rate is about 85 bytes of JSON, so
     * 16 MiB holds plans of some 190,000 piece groups (100,000 groups measured 8.5 MB; producers must
     * allow it too: {@code max.request.size}).
     */
    public static final int PLAN_MAX_BYTES = 16 * 1024 * 1024;

    @Bean
    KafkaAdmin.NewTopics bootswarmTopics(@Value("${bootswarm.kafka.partitions:4}") int partitions,
                                         @Value("${bootswarm.kafka.replication-factor:-1}") int replicas) {
        return new KafkaAdmin.NewTopics(topics(partitions, replicas).toArray(NewTopic[]::new));
    }

    static List<NewTopic> topics(int partitions, int replicas) {
        return List.of(
                topic(Topics.IMAGES, partitions, replicas),
                topic(Topics.LAUNCH_COMMANDS, partitions, replicas),
                topic(Topics.LAUNCH_STATUS, partitions, replicas),
                topic(Topics.ACCESS_TRACES, partitions, replicas),
                topic(Topics.SWARM_REPORTS, partitions, replicas),
                topic(TopicBuilder.name(Topics.SWARM_PEERS).partitions(partitions)
                        .config(TopicConfig.CLEANUP_POLICY_CONFIG, "compact,delete")
                        .config(TopicConfig.RETENTION_MS_CONFIG, "3600000"), replicas), // one hour
                // one key, so one partition holds every plan; a plan of many piece groups is large
                topic(TopicBuilder.name(Topics.ALLOCATION_PLANS).partitions(1)
                        .config(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, String.valueOf(PLAN_MAX_BYTES)), replicas));
    }

    private static NewTopic topic(String name, int partitions, int replicas) {
        return topic(TopicBuilder.name(name).partitions(partitions), replicas);
    }

    private static NewTopic topic(TopicBuilder b, int replicas) {
        return replicas > 0 ? b.replicas(replicas).build() : b.build();
    }
}
