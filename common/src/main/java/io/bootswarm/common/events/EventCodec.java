package io.bootswarm.common.events;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

import java.util.Optional;

/**
 * The one JSON form of {@link BootswarmEvent}s on Kafka. Decoding tolerates unknown fields;
 * an unknown event type or malformed payload yields empty, for the consumer to log and skip.
 */
public final class EventCodec {

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
}
