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
                map.forEach((k, v) -> sorted.put((String) k, v));
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
                while (peek() != 'e') {
                    String key = new String(bytes(), StandardCharsets.UTF_8);
                    map.put(key, value(depth + 1));
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

        long number(char end) {
            int start = pos;
            while (pos < data.length && data[pos] != end) {
                pos++;
            }
            if (pos >= data.length || pos == start || pos - start > 20) {
                throw new BencodeException("bad number at " + start);
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
