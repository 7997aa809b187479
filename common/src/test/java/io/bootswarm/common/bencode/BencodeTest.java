package io.bootswarm.common.bencode;

import io.bootswarm.common.bencode.Bencode.BencodeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BencodeTest {

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    @Test
    void encodesTheBep3Examples() {
        assertThat(text(Bencode.encode("spam"))).isEqualTo("4:spam");
        assertThat(text(Bencode.encode(3L))).isEqualTo("i3e");
        assertThat(text(Bencode.encode(-3))).isEqualTo("i-3e");
        assertThat(text(Bencode.encode(0L))).isEqualTo("i0e");
        assertThat(text(Bencode.encode(List.of("spam", "eggs")))).isEqualTo("l4:spam4:eggse");
        assertThat(text(Bencode.encode(Map.of("cow", "moo", "spam", "eggs")))).isEqualTo("d3:cow3:moo4:spam4:eggse");
        assertThat(text(Bencode.encode(Map.of("spam", List.of("a", "b"))))).isEqualTo("d4:spaml1:a1:bee");
        assertThat(text(Bencode.encode(new byte[0]))).isEqualTo("0:");
        assertThat(text(Bencode.encode(Long.MIN_VALUE))).isEqualTo("i-9223372036854775808e");
        assertThat(text(Bencode.encode(Map.of()))).isEqualTo("de");
        assertThat(text(Bencode.encode(List.of()))).isEqualTo("le");
    }

    @Test
    void dictionaryKeysAreSortedByRawBytesNotByJavaStringOrder() {
        // U+FF61 is EF BD A1 in UTF-8; U+1F600 is F0 9F 98 80 but its UTF-16 surrogate D83D sorts
        // before FF61, so String.compareTo would put it first. Upper case sorts before lower case.
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("\uD83D\uDE00", 1L);
        m.put("\uFF61", 2L);
        m.put("b", 3L);
        m.put("a", 4L);
        m.put("B", 5L);
        m.put("ab", 6L);
        m.put("é", 7L);
        byte[] out = Bencode.encode(m);
        String expected = "d1:Bi5e1:ai4e2:abi6e1:bi3e2:\u00c3\u00a9i7e3:\u00ef\u00bd\u00a1i2e4:\u00f0\u009f\u0098\u0080i1ee";
        assertThat(text(out)).isEqualTo(expected);
        // and the decoder reads it back in that order
        @SuppressWarnings("unchecked")
        Map<String, Object> back = (Map<String, Object>) Bencode.decode(out);
        assertThat(back.keySet()).containsExactly("B", "a", "ab", "b", "é", "\uFF61", "\uD83D\uDE00");
    }

    @Test
    void decodesNestedValues() {
        Object v = Bencode.decode(ascii("d4:dictd3:keyi-42ee4:listli1e3:abcle0:d4:infod1:xi0eeee5:pricei9223372036854775807ee"));
        assertThat(v).isInstanceOf(Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) v;
        assertThat(m.keySet()).containsExactly("dict", "list", "price");
        assertThat(((Map<?, ?>) m.get("dict")).get("key")).isEqualTo(-42L);
        List<?> list = (List<?>) m.get("list");
        assertThat(list).hasSize(5);
        assertThat(list.get(0)).isEqualTo(1L);
        assertThat((byte[]) list.get(1)).isEqualTo(ascii("abc"));
        assertThat((List<?>) list.get(2)).isEmpty();
        assertThat((byte[]) list.get(3)).isEmpty();
        assertThat(((Map<?, ?>) ((Map<?, ?>) list.get(4)).get("info")).get("x")).isEqualTo(0L);
        assertThat(m.get("price")).isEqualTo(Long.MAX_VALUE);
        assertThat(Bencode.decode(ascii("i-9223372036854775808e"))).isEqualTo(Long.MIN_VALUE);
    }

    @Test
    void byteStringsKeepArbitraryBytes() {
        byte[] raw = new byte[256];
        for (int i = 0; i < 256; i++) {
            raw[i] = (byte) i;
        }
        byte[] enc = Bencode.encode(List.of(raw, 7L));
        assertThat(enc.length).isEqualTo(1 + 4 + 256 + 3 + 1);
        List<?> back = (List<?>) Bencode.decode(enc);
        assertThat((byte[]) back.get(0)).isEqualTo(raw);
        assertThat(Bencode.encode(back)).isEqualTo(enc);
    }

    @Test
    void reEncodingADecodedDictionaryGivesTheSameBytes() {
        byte[] in = ascii("d8:announce14:http://x/a/ann4:infod6:lengthi5e4:name3:a b12:piece lengthi16384e6:pieces20:"
                + "abcdefghijklmnopqrstee");
        assertThat(Bencode.encode(Bencode.decode(in))).isEqualTo(in);
    }

    @ParameterizedTest
    @ValueSource(strings = {
            "",             // nothing
            "i",            // unterminated integer
            "ie",           // empty integer
            "i-e",          // sign only
            "i-0e",         // minus zero (BEP 3: invalid)
            "i03e",         // leading zero (BEP 3: invalid)
            "i-03e",
            "i+3e",         // plus sign
            "i 3e",
            "i3.5e",
            "i1",           // no end
            "i9223372036854775808e",  // overflow
            "i123456789012345678901234567890e",
            "3:ab",         // length past end
            "-1:a",         // negative length
            "+1:a",         // signed length
            "01:a",         // leading zero in length
            "1a",           // no colon
            ":a",
            "x",            // unknown type
            " i1e",         // leading garbage
            "\u0000i1e",
            "i1ei2e",       // trailing value
            "i1e ",         // trailing byte
            "4:spamx",
            "l",            // unterminated list
            "li1e",
            "d",            // unterminated dict
            "d3:key",       // key without value
            "d3:keye",
            "di1ei2ee",     // non-string key
            "dlei1ee",
            "d1:bi1e1:ai2ee",   // keys out of order
            "d1:ai1e1:ai2ee",   // duplicate key
            "99999999999999999999999:",  // absurd length
            "2147483648:a",               // past int range
            "4294967297:a",               // wraps to 1 if truncated to int
            "9223372036854775807:a",
    })
    void rejectsMalformedInput(String input) {
        assertThatThrownBy(() -> Bencode.decode(ascii(input))).isInstanceOf(BencodeException.class);
    }

    @Test
    void rejectsDeepNestingWithoutOverflowingTheStack() {
        int depth = 100_000;
        byte[] lists = ascii("l".repeat(depth) + "e".repeat(depth));
        assertThatThrownBy(() -> Bencode.decode(lists)).isInstanceOf(BencodeException.class).hasMessageContaining("nesting");
        StringBuilder dicts = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            dicts.append("d1:a");
        }
        dicts.append("i1e").append("e".repeat(1000));
        assertThatThrownBy(() -> Bencode.decode(ascii(dicts.toString()))).isInstanceOf(BencodeException.class);
        // modest nesting is fine
        assertThat(Bencode.decode(ascii("l".repeat(60) + "e".repeat(60)))).isInstanceOf(List.class);
    }

    @Test
    void hugeDeclaredLengthIsRejectedWithoutAllocatingIt() {
        // a 2 GB string declared in a 12-byte input must fail fast, not try to allocate
        assertThatThrownBy(() -> Bencode.decode(ascii("2000000000:x"))).isInstanceOf(BencodeException.class)
                .hasMessageContaining("past end");
        assertThatThrownBy(() -> Bencode.decode(ascii("l2000000000:xe"))).isInstanceOf(BencodeException.class);
    }

    @Test
    void longRunsOfDigitsFailFast() {
        // a number that never ends: the decoder must not accept it, whatever it scans
        byte[] digits = ascii("i" + "1".repeat(1_000_000));
        assertThatThrownBy(() -> Bencode.decode(digits)).isInstanceOf(BencodeException.class);
        byte[] lenDigits = ascii("1".repeat(1_000_000) + ":");
        assertThatThrownBy(() -> Bencode.decode(lenDigits)).isInstanceOf(BencodeException.class);
    }

    @Test
    void refusesToEncodeUnsupportedValues() {
        assertThatThrownBy(() -> Bencode.encode(1.5)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Bencode.encode(Map.of(1, "x"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Bencode.encode(List.of(true))).isInstanceOf(IllegalArgumentException.class);
    }
}
