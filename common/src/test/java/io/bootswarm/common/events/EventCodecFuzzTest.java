package io.bootswarm.common.events;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for the Kafka event codec (README "Fuzzing"): {@link EventCodec#decode} yields an
 * event with its common fields, or empty; it never throws. A decoded event re-encodes and decodes
 * to an event of the same type and key.
 */
class EventCodecFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void decode(byte[] input) {
        String json = new String(input, StandardCharsets.UTF_8);
        Optional<BootswarmEvent> event = EventCodec.decode(json);
        if (event.isEmpty()) {
            return;
        }
        BootswarmEvent e = event.get();
        assertThat(e.eventId()).isNotNull();
        assertThat(e.at()).isNotNull();
        assertThat(e.key()).isNotNull();
        Optional<BootswarmEvent> again = EventCodec.decode(EventCodec.encode(e));
        assertThat(again).isPresent();
        assertThat(again.get().getClass()).isEqualTo(e.getClass());
        assertThat(again.get().key()).isEqualTo(e.key());
    }
}
