package io.bootswarm.common.bencode;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for the bencode decoder (README "Fuzzing"): any input decodes or throws
 * {@link Bencode.BencodeException}; a decoded value re-encodes to the input when its dictionary
 * keys are valid UTF-8 (BEP 3's canonical form is the only form the decoder accepts).
 */
class BencodeFuzzTest {

    @FuzzTest(maxDuration = "30s")
    void decode(byte[] input) {
        Object value;
        try {
            value = Bencode.decode(input);
        } catch (Bencode.BencodeException expected) {
            return;
        }
        byte[] encoded = Bencode.encode(value);
        if (utf8Keys(value)) {
            assertThat(encoded).isEqualTo(input);
        }
        assertThat(Bencode.encode(Bencode.decode(encoded))).isEqualTo(encoded);
    }

    private static boolean utf8Keys(Object value) {
        return switch (value) {
            case Map<?, ?> m -> m.entrySet().stream().allMatch(e -> {
                String k = (String) e.getKey();
                return !k.contains("\uFFFD") && utf8Keys(e.getValue())
                        && Arrays.equals(k.getBytes(StandardCharsets.UTF_8),
                        new String(k.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)
                                .getBytes(StandardCharsets.UTF_8));
            });
            case List<?> l -> l.stream().allMatch(BencodeFuzzTest::utf8Keys);
            default -> true;
        };
    }
}
