package io.bootswarm.seed;

import java.util.HashMap;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import io.bootswarm.infra.Infra;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/** Reads {@link Topics#IMAGES} from the start with a plain consumer and finds events. */
public final class ImageEvents {

    private ImageEvents() {
    }

    /** The first event (key, event) matching {@code wanted} within {@code timeout}. */
    public static Optional<ConsumerRecordEvent> await(Predicate<BootswarmEvent> wanted, Duration timeout) {
        // no service reads image events yet, so no principal but the admin may
        Map<String, Object> config = new HashMap<>(Infra.shared().kafka().clientProperties(KafkaUser.ADMIN));
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "seed-it-" + UUID.randomUUID());
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        try (var consumer = new KafkaConsumer<String, String>(config, new StringDeserializer(),
                new StringDeserializer())) {
            consumer.subscribe(List.of(Topics.IMAGES));
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    Optional<BootswarmEvent> e = EventCodec.decode(r.value());
                    if (e.isPresent() && wanted.test(e.get())) {
                        return Optional.of(new ConsumerRecordEvent(r.key(), e.get()));
                    }
                }
            }
            return Optional.empty();
        }
    }

    /** An event and the key it was sent with. */
    public record ConsumerRecordEvent(String key, BootswarmEvent event) {
    }
}
