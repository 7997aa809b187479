package io.bootswarm.infra.kafka;

import io.bootswarm.infra.Infra;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The broker enforces who may write and read which topic: each service principal only what
 * {@link KafkaAcls} grants it, and nobody without the right password.
 */
class KafkaAclsIT {

    private static final KafkaServer KAFKA = Infra.shared().kafka();

    @Test
    void anAgentMayReportLaunchStatusButProfileServiceMayNot() throws Exception {
        try (var agent = producer(KAFKA.clientProperties(KafkaUser.AGENT))) {
            RecordMetadata sent = agent.send(new ProducerRecord<>(KafkaAcls.LAUNCH_STATUS, "k", "{}")).get();
            assertThat(sent.topic()).isEqualTo(KafkaAcls.LAUNCH_STATUS);
        }
        // profile-service writes nowhere, so it cannot even get an idempotent producer id: send plainly
        Map<String, Object> profile = new HashMap<>(KAFKA.clientProperties(KafkaUser.PROFILE));
        profile.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        try (var forger = producer(profile)) {
            assertThatThrownBy(() -> forger.send(new ProducerRecord<>(KafkaAcls.LAUNCH_STATUS, "k", "{}")).get())
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void anAgentCannotPublishAnAllocationPlan() {
        try (var agent = producer(KAFKA.clientProperties(KafkaUser.AGENT))) {
            assertThatThrownBy(() -> agent.send(new ProducerRecord<>(KafkaAcls.ALLOCATION_PLANS, "plan", "{}")).get())
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TopicAuthorizationException.class);
        }
    }

    @Test
    void theSeedReadsPlansButAnAgentCannotEvenInItsOwnGroup() {
        try (var seed = consumer(KafkaUser.SEED, "seed-service-acl-it-" + UUID.randomUUID())) {
            seed.subscribe(List.of(KafkaAcls.ALLOCATION_PLANS));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (seed.assignment().isEmpty() && System.nanoTime() < deadline) {
                seed.poll(Duration.ofMillis(200));
            }
            assertThat(seed.assignment()).isNotEmpty();
        }
        try (var agent = consumer(KafkaUser.AGENT, "node-agent-acl-it-" + UUID.randomUUID())) {
            agent.subscribe(List.of(KafkaAcls.ALLOCATION_PLANS));
            assertThatThrownBy(() -> pollUntilFailure(agent)).isInstanceOf(TopicAuthorizationException.class)
                    .hasMessageContaining(KafkaAcls.ALLOCATION_PLANS);
        }
    }

    @Test
    void aServiceCannotUseAnotherServicesConsumerGroup() {
        try (var agent = consumer(KafkaUser.AGENT, "tracker-service")) {
            agent.subscribe(List.of(KafkaAcls.LAUNCH_COMMANDS));
            assertThatThrownBy(() -> pollUntilFailure(agent)).isInstanceOf(GroupAuthorizationException.class);
        }
    }

    @Test
    void aWrongPasswordIsRefused() {
        KafkaCredentials agent = KAFKA.credentials(KafkaUser.AGENT);
        Map<String, Object> config = new HashMap<>(
                new KafkaCredentials(agent.username(), agent.password() + "x", agent.mechanism()).clientProperties());
        config.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, KAFKA.bootstrapServers());
        config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 30_000);
        try (var forger = producer(config)) {
            assertThatThrownBy(() -> forger.send(new ProducerRecord<>(KafkaAcls.LAUNCH_STATUS, "k", "{}")).get())
                    .hasRootCauseInstanceOf(SaslAuthenticationException.class);
        }
    }

    /** Polls until the consumer throws (the broker's refusal arrives with a metadata or group response). */
    private static void pollUntilFailure(KafkaConsumer<String, String> consumer) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(200));
        }
    }

    private static KafkaProducer<String, String> producer(Map<String, Object> config) {
        return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    private static KafkaConsumer<String, String> consumer(KafkaUser user, String group) {
        Map<String, Object> config = new HashMap<>(KAFKA.clientProperties(user));
        config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
    }
}
