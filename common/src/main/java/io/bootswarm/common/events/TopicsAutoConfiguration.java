package io.bootswarm.common.events;

import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.context.annotation.Bean;
import org.springframework.kafka.config.TopicBuilder;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * Declares every bootswarm topic in each service, so that Kafka's admin client creates those
 * missing at start (with {@code bootswarm.kafka.partitions} partitions and
 * {@code bootswarm.kafka.replication-factor} replicas, -1 for the broker's default) instead of the
 * first producer or consumer tripping over an unknown topic.
 */
@AutoConfiguration(afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(KafkaAdmin.class)
public class TopicsAutoConfiguration {

    @Bean
    KafkaAdmin.NewTopics bootswarmTopics(@Value("${bootswarm.kafka.partitions:4}") int partitions,
                                         @Value("${bootswarm.kafka.replication-factor:-1}") int replicas) {
        return new KafkaAdmin.NewTopics(
                topic(Topics.IMAGES, partitions, replicas),
                topic(Topics.LAUNCH_COMMANDS, partitions, replicas),
                topic(Topics.LAUNCH_STATUS, partitions, replicas),
                topic(Topics.ACCESS_TRACES, partitions, replicas));
    }

    private static NewTopic topic(String name, int partitions, int replicas) {
        TopicBuilder b = TopicBuilder.name(name).partitions(partitions);
        return replicas > 0 ? b.replicas(replicas).build() : b.build();
    }
}
