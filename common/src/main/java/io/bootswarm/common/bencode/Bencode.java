package io.bootswarm.common.bencode;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Bencoding as BEP 3 defines it: integers, byte strings, lists and dictionaries whose keys are
 * byte strings in sorted order. Java values map as {@code Long}/{@code Integer} ↔ integer,
 * {@code byte[]}/{@code String} ↔ byte string (decoded as {@code byte[]}), {@code List} ↔ list,
 * {@code Map<String, ?>} ↔ dictionary.
 */
public final class Bencode {

    /** Deepest nesting the decoder accepts, so that hostile input cannot exhaust the stack. */
    private static final int MAX_DEPTH = 64;

    private Bencode() {
    }

    public static byte[] encode(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        write(value, out);
        return out.toByteArray();
    }

    private static void write(Object value, ByteArrayOutputStream out) {
        if (value == null) {
            throw new IllegalArgumentException("cannot bencode null");
        }
        switch (value) {
            case Long l -> writeAscii("i" + l + "e", out);
            case Integer i -> writeAscii("i" + i + "e", out);
            case byte[] b -> {
                writeAscii(b.length + ":", out);
                out.writeBytes(b);
            }
            case String s -> write(s.getBytes(StandardCharsets.UTF_8), out);
            case List<?> list -> {
                out.write('l');
                list.forEach(v -> write(v, out));
                out.write('e');
            }
            case Map<?, ?> map -> {
                out.write('d');
                Map<String, Object> sorted = new TreeMap<>(Bencode::compareUtf8);
                map.forEach((k, v) -> {
                    if (!(k instanceof String key)) {
                        throw new IllegalArgumentException("dictionary keys must be strings, got " + k);
                    }
                    sorted.put(key, v);
                });
                sorted.forEach((k, v) -> {
                    write(k, out);
                    write(v, out);
                });
                out.write('e');
            }
            default -> throw new IllegalArgumentException("cannot bencode " + value.getClass());
        }
    }

    private static int compareUtf8(String a, String b) {
        return Arrays.compareUnsigned(a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
    }

    private static void writeAscii(String s, ByteArrayOutputStream out) {
        out.writeBytes(s.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Decodes one complete value; trailing bytes are an error.
     *
     * @throws BencodeException on any malformed input
     */
    public static Object decode(byte[] data) {
        Decoder d = new Decoder(data);
        Object v = d.value(0);
        if (d.pos != data.length) {
            throw new BencodeException("trailing bytes after value at " + d.pos);
        }
        return v;
    }

    /** Malformed bencoded input. */
    public static final class BencodeException extends IllegalArgumentException {
        public BencodeException(String message) {
            super(message);
        }
    }

    private static final class Decoder {
        private final byte[] data;
        private int pos;

        Decoder(byte[] data) {
            this.data = data;
        }

        Object value(int depth) {
            if (depth > MAX_DEPTH) {
                throw new BencodeException("nesting deeper than " + MAX_DEPTH);
            }
            byte b = peek();
            if (b == 'i') {
                pos++;
                long v = number('e');
                return v;
            }
            if (b == 'l') {
                pos++;
                List<Object> list = new ArrayList<>();
                while (peek() != 'e') {
                    list.add(value(depth + 1));
                }
                pos++;
                return list;
            }
            if (b == 'd') {
                pos++;
                Map<String, Object> map = new LinkedHashMap<>();
                byte[] previous = null;
                while (peek() != 'e') {
                    if (peek() < '0' || peek() > '9') {
                        throw new BencodeException("dictionary key at " + pos + " is not a byte string");
                    }
                    int at = pos;
                    byte[] rawKey = bytes();
                    // BEP 3: keys appear in sorted order (raw bytes); a duplicate or unsorted key
                    // would make the re-encoded bytes, and so an info hash, differ from the input.
                    if (previous != null && Arrays.compareUnsigned(previous, rawKey) >= 0) {
                        throw new BencodeException("dictionary key at " + at + " is duplicate or out of order");
                    }
                    previous = rawKey;
                    map.put(new String(rawKey, StandardCharsets.UTF_8), value(depth + 1));
                }
                pos++;
                return map;
            }
            if (b >= '0' && b <= '9') {
                return bytes();
            }
            throw new BencodeException("unexpected byte " + b + " at " + pos);
        }

        byte[] bytes() {
            long len = number(':');
            if (len < 0 || len > data.length - pos) {
                throw new BencodeException("string length " + len + " past end at " + pos);
            }
            byte[] out = Arrays.copyOfRange(data, pos, pos + (int) len);
            pos += (int) len;
            return out;
        }

        /**
         * Reads a base-ten number ended by {@code end}: an integer's body ({@code end = 'e'}, sign
         * allowed) or a string length ({@code end = ':'}, digits only). BEP 3 forbids leading
         * zeros and {@code -0}. Scans at most 20 characters, so a long run of digits fails fast.
         */
        long number(char end) {
            int start = pos;
            int limit = Math.min(data.length, start + 21);
            while (pos < limit && data[pos] != end) {
                pos++;
            }
            if (pos >= limit || pos == start) {
                throw new BencodeException("bad number at " + start);
            }
            int digits = start;
            if (end == 'e' && data[start] == '-') {
                digits++;
            }
            if (digits == pos) {
                throw new BencodeException("bad number at " + start);
            }
            for (int i = digits; i < pos; i++) {
                if (data[i] < '0' || data[i] > '9') {
                    throw new BencodeException("bad number at " + start);
                }
            }
            if (data[digits] == '0' && (pos - digits > 1 || digits > start)) {
                throw new BencodeException("number with a leading zero or -0 at " + start);
            }
            String s = new String(data, start, pos - start, StandardCharsets.US_ASCII);
            pos++;
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new BencodeException("bad number '" + s + "' at " + start);
            }
        }

        byte peek() {
            if (pos >= data.length) {
                throw new BencodeException("unexpected end of input");
            }
            return data[pos];
        }
    }
}
