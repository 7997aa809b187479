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

    public static Optional<BootswarmEvent> decode(String json) {
        try {
            return Optional.ofNullable(MAPPER.readValue(json, BootswarmEvent.class));
        } catch (JacksonException e) {
            return Optional.empty();
        }
    }
}
