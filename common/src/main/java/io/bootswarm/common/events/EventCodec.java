package io.bootswarm.common.events;

import io.micrometer.core.instrument.Counter;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.util.Optional;

/**
 * The one JSON form of {@link BootswarmEvent}s on Kafka. Decoding tolerates unknown fields;
 * an unknown event type or malformed payload yields empty, for the consumer to log and skip.
 */
public final class EventCodec {

    private static final Logger log = LoggerFactory.getLogger(EventCodec.class);

    private static final JsonMapper MAPPER = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private EventCodec() {
    }

    public static String encode(BootswarmEvent event) {
        return MAPPER.writerFor(BootswarmEvent.class).writeValueAsString(event);
    }

    /**
     * Decodes one event; empty for a null payload (a Kafka tombstone), malformed JSON, an unknown
     * type, or an event without the fields every event has (event id, time, key).
     */
    public static Optional<BootswarmEvent> decode(String json) {
        if (json == null) {
            return Optional.empty();
        }
        try {
            BootswarmEvent event = MAPPER.readValue(json, BootswarmEvent.class);
            if (event == null || event.eventId() == null || event.at() == null || event.key() == null) {
                return Optional.empty();
            }
            return Optional.of(event);
        } catch (JacksonException | NullPointerException e) {
            // NullPointerException: key() of an event whose key field is missing
            return Optional.empty();
        }
    }

    /**
     * The event of {@code type} in a consumed record, or empty: an undecodable value (a tombstone, malformed
     * JSON, an unknown type; counted in {@code undecodable}) and an event of another type are logged with the
     * record's place and skipped, so one bad record never stops a listener.
     */
    public static <T extends BootswarmEvent> Optional<T> decode(ConsumerRecord<String, String> record, Class<T> type,
                                                                Counter undecodable) {
        Optional<BootswarmEvent> event = decode(record.value());
        if (event.isEmpty()) {
            undecodable.increment();
            log.warn("skipping undecodable record at {}-{}@{}", record.topic(), record.partition(), record.offset());
            return Optional.empty();
        }
        if (!type.isInstance(event.get())) {
            log.warn("skipping {} at {}-{}@{}: not a {}", event.get().getClass().getSimpleName(), record.topic(),
                    record.partition(), record.offset(), type.getSimpleName());
            return Optional.empty();
        }
        return Optional.of(type.cast(event.get()));
    }
}
