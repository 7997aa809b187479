package io.bootswarm.profile.model;

import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a block-access trace in the CSV form of {@code shared/traces} (header
 * {@code time_s,op,offset,length}; one request per line; {@code time_s} seconds since the first
 * request; {@code op} {@code READ}, {@code WRITE} or {@code FLUSH}; {@code offset} and {@code length}
 * bytes on the raw image). Only READs are kept. The rules:
 *
 * <ul>
 *   <li>UTF-8; the header must be exactly {@code time_s,op,offset,length} (a byte order mark and
 *       surrounding blanks are ignored); lines end with LF or CRLF; blank lines are skipped;</li>
 *   <li>every line has four fields (blanks around a field are ignored); {@code op} is one of the
 *       three, in capitals;</li>
 *   <li>{@code time_s} is a plain decimal ({@code 15.391641}: digits, optionally a point and digits; no
 *       sign, no exponent) kept to the microsecond (further digits are dropped); {@code offset} and
 *       {@code length} are decimal integers without a sign that fit in 63 bits, and
 *       {@code offset + length} must too;</li>
 *   <li>times need not be non-decreasing: a tracer may log concurrent requests in completion order,
 *       and a piece's first-access time is the earliest read touching it whatever the order of the
 *       lines ({@link FirstAccess});</li>
 *   <li>the range checks that depend on the image or the service's limits (a READ past the image's
 *       end, too long, too late) are {@link FirstAccess}'s, reported against the line; a READ of length
 *       0 touches nothing.</li>
 * </ul>
 */
public final class TraceCsv {

    public static final String HEADER = "time_s,op,offset,length";

    /** Longest line accepted: a well-formed line is under 60 characters. */
    static final int MAX_LINE = 256;

    /**
     * The READs of a trace.
     *
     * @param reads      flattened triples (time in microseconds, offset, length)
     * @param readLines  the line number of each read (the header is line 1)
     * @param requests   requests of all ops in the trace
     */
    public record Parsed(long[] reads, int[] readLines, int requests) {
        public int readCount() {
            return readLines.length;
        }

        /** The line of read {@code index}, for error messages. */
        public int lineOf(int index) {
            return index >= 0 && index < readLines.length ? readLines[index] : -1;
        }
    }

    /** The body is not a trace: what is wrong, and on which line (0 when not on one line). */
    public static final class FormatException extends Exception {
        private final int line;

        public FormatException(int line, String message) {
            super(line > 0 ? "line " + line + ": " + message : message);
            this.line = line;
        }

        public int line() {
            return line;
        }
    }

    /** The body is longer than allowed. */
    public static final class TooLargeException extends RuntimeException {
        private final long limit;

        public TooLargeException(long limit) {
            super("the trace is larger than " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }

    private TraceCsv() {
    }

    /**
     * Parses a whole trace, reading at most {@code maxBytes} of {@code in}.
     *
     * @throws FormatException   when the body is not a trace in this format
     * @throws TooLargeException when the body has more than {@code maxBytes}
     * @throws IOException       when reading the body fails
     */
    public static Parsed parse(InputStream in, long maxBytes) throws FormatException, IOException {
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        BufferedReader lines = new BufferedReader(new InputStreamReader(new Limited(in, maxBytes), decoder), 64 * 1024);
        long[] reads = new long[3 * 1024];
        int[] readLines = new int[1024];
        int count = 0;
        int requests = 0;
        int lineNo = 0;
        try {
            String header = lines.readLine();
            lineNo = 1;
            if (header == null) {
                throw new FormatException(0, "the body is empty; expected the header '" + HEADER + "'");
            }
            if (header.startsWith("\uFEFF")) {
                header = header.substring(1);
            }
            if (!header.strip().equals(HEADER)) {
                throw new FormatException(1, "the header must be '" + HEADER + "', got '" + abbreviate(header) + "'");
            }
            String line;
            while ((line = lines.readLine()) != null) {
                lineNo++;
                if (line.isBlank()) {
                    continue;
                }
                if (line.length() > MAX_LINE) {
                    throw new FormatException(lineNo, "line longer than " + MAX_LINE + " characters");
                }
                String[] f = line.split(",", -1);
                if (f.length != 4) {
                    throw new FormatException(lineNo, "expected 4 fields (" + HEADER + "), got " + f.length);
                }
                long time = seconds(f[0].strip(), lineNo);
                String op = f[1].strip();
                long offset = unsigned("offset", f[2].strip(), lineNo);
                long length = unsigned("length", f[3].strip(), lineNo);
                if (offset > Long.MAX_VALUE - length) {
                    throw new FormatException(lineNo, "offset + length overflows");
                }
                requests++;
                switch (op) {
                    case "READ" -> {
                        if (count == readLines.length) {
                            readLines = Arrays.copyOf(readLines, count * 2);
                            reads = Arrays.copyOf(reads, count * 6);
                        }
                        reads[3 * count] = time;
                        reads[3 * count + 1] = offset;
                        reads[3 * count + 2] = length;
                        readLines[count++] = lineNo;
                    }
                    case "WRITE", "FLUSH" -> {
                        // not reads: they do not make a profile
                    }
                    default -> throw new FormatException(lineNo, "unknown op '" + abbreviate(op)
                            + "' (expected READ, WRITE or FLUSH)");
                }
            }
        } catch (CharacterCodingException e) {
            throw new FormatException(lineNo + 1, "the body is not UTF-8 text");
        }
        return new Parsed(Arrays.copyOf(reads, 3 * count), Arrays.copyOf(readLines, count), requests);
    }

    /** Decimal seconds to microseconds: digits, optionally '.' and digits; digits past the sixth are dropped. */
    static long seconds(String s, int line) throws FormatException {
        int dot = s.indexOf('.');
        String whole = dot < 0 ? s : s.substring(0, dot);
        String fraction = dot < 0 ? "" : s.substring(dot + 1);
        if (whole.isEmpty() || !digits(whole) || (dot >= 0 && (fraction.isEmpty() || !digits(fraction)))) {
            throw new FormatException(line, "time_s '" + abbreviate(s) + "' is not a non-negative decimal number");
        }
        String w = whole.replaceFirst("^0+(?=.)", "");
        if (w.length() > 12) {
            throw new FormatException(line, "time_s '" + abbreviate(s) + "' is too large");
        }
        String micros = (fraction + "000000").substring(0, 6);
        return Long.parseLong(w) * 1_000_000L + Long.parseLong(micros);
    }

    static long unsigned(String name, String s, int line) throws FormatException {
        if (s.isEmpty() || !digits(s)) {
            throw new FormatException(line, name + " '" + abbreviate(s) + "' is not a non-negative integer");
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new FormatException(line, name + " '" + abbreviate(s) + "' is too large");
        }
    }

    private static boolean digits(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? s : s.substring(0, 40) + "…";
    }

    /** Counts the bytes read and fails once there are more than the limit. */
    private static final class Limited extends FilterInputStream {
        private final long limit;
        private long count;

        Limited(InputStream in, long limit) {
            super(in);
            this.limit = limit;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, (int) Math.min(len, limit - count + 1));
            if (n > 0) {
                count(n);
            }
            return n;
        }

        private void count(int n) {
            count += n;
            if (count > limit) {
                throw new TooLargeException(limit);
            }
        }
    }
}
