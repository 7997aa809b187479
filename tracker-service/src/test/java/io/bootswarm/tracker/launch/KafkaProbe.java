package io.bootswarm.tracker.launch;

import java.util.HashMap;
import io.bootswarm.infra.kafka.KafkaServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/**
 * Plain Kafka clients for the tests, logged in as node agents are: read the tracker's launch commands,
 * write agents' status reports.
 */
final class KafkaProbe implements AutoCloseable {

    /** A launch command as it arrived, with its record key. */
    record Received(String key, LaunchCommand command) {
    }

    private final KafkaProducer<String, String> producer;
    private final KafkaServer kafka;

    KafkaProbe(KafkaServer kafka) {
        this.kafka = kafka;
        Map<String, Object> config = new HashMap<>(kafka.clientProperties(KafkaUser.AGENT));
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /**
     * The commands of {@code launchId} on the commands topic: polls until at least {@code atLeast}
     * arrived (or 30 s passed), then keeps polling for {@code settle} so that extra ones would show.
     */
    List<Received> commands(UUID launchId, int atLeast, Duration settle) {
        List<Received> got = new ArrayList<>();
        Map<String, Object> config = new HashMap<>(kafka.clientProperties(KafkaUser.AGENT));
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "node-agent-tracker-it-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(config, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.LAUNCH_COMMANDS));
            Instant deadline = Instant.now().plusSeconds(30);
            Instant settleUntil = null;
            while (Instant.now().isBefore(settleUntil != null ? settleUntil : deadline)) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    BootswarmEvent e = EventCodec.decode(r.value()).orElseThrow();
                    if (e instanceof LaunchCommand c && c.launchId().equals(launchId)) {
                        got.add(new Received(r.key(), c));
                    }
                }
                if (settleUntil == null && got.size() >= atLeast) {
                    settleUntil = Instant.now().plus(settle);
                }
            }
        }
        return got;
    }

    void send(LaunchStatus status) {
        sendRaw(status.key(), EventCodec.encode(status));
    }

    void sendRaw(String key, String value) {
        try {
            producer.send(new ProducerRecord<>(Topics.LAUNCH_STATUS, key, value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    static LaunchStatus status(UUID launch, String host, LaunchStatus.State state, long sequence, String nbdUri,
                               String unixUri, int present, int total, long fetched, String detail) {
        return new LaunchStatus(UUID.randomUUID(), Instant.now(), launch, host, state, sequence, nbdUri, unixUri,
                present, total, fetched, detail);
    }

    @Override
    public void close() {
        producer.close();
    }
}
