package io.bootswarm.profile.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/** The CSV trace format: what is accepted, what is rejected and on which line, and the real Debian boot trace. */
class TraceCsvTest {

    private static final String H = TraceCsv.HEADER + "\n";

    private static TraceCsv.Parsed parse(String body) throws Exception {
        return TraceCsv.parse(new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)), 1 << 20);
    }

    @Test
    void readsAreKeptOthersCountedTimesToTheMicrosecond() throws Exception {
        TraceCsv.Parsed p = parse(H + """
                0.000000,READ,0,512
                0.5,WRITE,4096,4096
                1.25,FLUSH,0,0
                15.391641,READ,4096,4096
                15.3916419,READ,8192,1
                """);
        assertThat(p.readCount()).isEqualTo(3);
        assertThat(p.requests()).isEqualTo(5);
        assertThat(p.reads()).containsExactly(0, 0, 512, 15_391_641, 4096, 4096, 15_391_641, 8192, 1);
        assertThat(p.readLines()).containsExactly(2, 5, 6);
    }

    @ParameterizedTest(name = "accepted: {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            # body (\\n = newline)                                                  | reads | first time µs
            "time_s,op,offset,length\\n1,READ,0,1\\n"                              | 1     | 1000000
            "time_s,op,offset,length\\r\\n1,READ,0,1\\r\\n2,READ,1,1\\r\\n"        | 2     | 1000000
            "\uFEFFtime_s,op,offset,length\\n0.000001,READ,0,1"                    | 1     | 1
            "time_s,op,offset,length\\n\\n2,READ,0,1\\n\\n\\n"                     | 1     | 2000000
            "time_s,op,offset,length\\n 3.5 , READ , 10 , 20 \\n"                 | 1     | 3500000
            "time_s,op,offset,length\\n5,READ,0,1\\n4,READ,0,1\\n"                 | 2     | 5000000
            "time_s,op,offset,length\\n007.10,READ,0,1\\n"                         | 1     | 7100000
            "time_s,op,offset,length\\n1,WRITE,0,1\\n"                             | 0     | -1
            "time_s,op,offset,length\\n1,READ,0,0\\n"                              | 1     | 1000000
            "time_s,op,offset,length\\n1,READ,9223372036854775806,1\\n"            | 1     | 1000000
            """)
    void accepted(String body, int reads, long firstTime) throws Exception {
        TraceCsv.Parsed p = parse(body.replace("\\n", "\n").replace("\\r", "\r"));
        assertThat(p.readCount()).isEqualTo(reads);
        if (reads > 0) {
            assertThat(p.reads()[0]).isEqualTo(firstTime);
        }
    }

    @ParameterizedTest(name = "rejected: {0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            # body (\\n = newline)                                          | line | message
            ""                                                             | 0    | the body is empty
            "time,op,offset,length\\n1,READ,0,1\\n"                        | 1    | the header must be
            "1,READ,0,1\\n"                                                | 1    | the header must be
            "time_s,op,offset\\n"                                          | 1    | the header must be
            "time_s,op,offset,length\\n1,READ,0\\n"                        | 2    | expected 4 fields
            "time_s,op,offset,length\\n1,READ,0,1,9\\n"                    | 2    | expected 4 fields
            "time_s,op,offset,length\\n1,READ,0,1\\nx,READ,0,1\\n"         | 3    | time_s 'x'
            "time_s,op,offset,length\\n-1,READ,0,1\\n"                     | 2    | time_s '-1'
            "time_s,op,offset,length\\n1e3,READ,0,1\\n"                    | 2    | time_s '1e3'
            "time_s,op,offset,length\\n1.,READ,0,1\\n"                     | 2    | time_s '1.'
            "time_s,op,offset,length\\n.5,READ,0,1\\n"                     | 2    | time_s '.5'
            "time_s,op,offset,length\\n,READ,0,1\\n"                       | 2    | time_s ''
            "time_s,op,offset,length\\n1234567890123,READ,0,1\\n"          | 2    | too large
            "time_s,op,offset,length\\n1,read,0,1\\n"                      | 2    | unknown op 'read'
            "time_s,op,offset,length\\n1,TRIM,0,1\\n"                      | 2    | unknown op 'TRIM'
            "time_s,op,offset,length\\n1,READ,-4096,1\\n"                  | 2    | offset '-4096'
            "time_s,op,offset,length\\n1,READ,0x10,1\\n"                   | 2    | offset '0x10'
            "time_s,op,offset,length\\n1,READ,+1,1\\n"                     | 2    | offset '+1'
            "time_s,op,offset,length\\n1,READ,0,1.5\\n"                    | 2    | length '1.5'
            "time_s,op,offset,length\\n1,READ,0,-1\\n"                     | 2    | length '-1'
            "time_s,op,offset,length\\n1,READ,99999999999999999999,1\\n"   | 2    | offset '99999999999999999999' is too large
            "time_s,op,offset,length\\n1,READ,9223372036854775807,1\\n"    | 2    | overflows
            "time_s,op,offset,length\\n1,WRITE,9223372036854775807,9\\n"   | 2    | overflows
            """)
    void rejected(String body, int line, String message) {
        Throwable t = catchThrowable(() -> parse(body.replace("\\n", "\n")));
        assertThat(t).isInstanceOf(TraceCsv.FormatException.class).hasMessageContaining(message);
        assertThat(((TraceCsv.FormatException) t).line()).isEqualTo(line);
    }

    @Test
    void notUtf8IsRejected() {
        byte[] body = (H + "1,READ,0,1\n").getBytes(StandardCharsets.UTF_8);
        byte[] bad = java.util.Arrays.copyOf(body, body.length + 3);
        bad[body.length] = (byte) 0xff;
        bad[body.length + 1] = (byte) 0xfe;
        bad[body.length + 2] = '\n';
        assertThat(catchThrowable(() -> TraceCsv.parse(new ByteArrayInputStream(bad), 1 << 20)))
                .isInstanceOf(TraceCsv.FormatException.class).hasMessageContaining("not UTF-8");
    }

    @Test
    void anOverlongLineIsRejected() {
        assertThat(catchThrowable(() -> parse(H + "1,READ,0," + "1".repeat(300) + "\n")))
                .isInstanceOf(TraceCsv.FormatException.class).hasMessageContaining("longer than");
    }

    @Test
    void aBodyOverTheLimitStopsBeingRead() {
        byte[] body = (H + "1,READ,0,1\n".repeat(100)).getBytes(StandardCharsets.UTF_8);
        assertThat(catchThrowable(() -> TraceCsv.parse(new ByteArrayInputStream(body), body.length - 1)))
                .isInstanceOf(TraceCsv.TooLargeException.class);
        assertThat(catchThrowable(() -> TraceCsv.parse(new ByteArrayInputStream(body), body.length))).isNull();
    }

    /** shared/traces/README.md: 1,012 reads touching 291 distinct 256 KiB pieces of a 4 GiB image. */
    @Test
    void theDebianBootTrace() throws IOException, TraceCsv.FormatException, InvalidTraceException {
        TraceCsv.Parsed p;
        try (InputStream in = getClass().getResourceAsStream("/traces/debian12-boot.csv")) {
            p = TraceCsv.parse(in, 1 << 20);
        }
        assertThat(p.readCount()).isEqualTo(1012);
        assertThat(p.requests()).isEqualTo(1012 + 340 + 33);
        TraceRun run = FirstAccess.compute(p.reads(), 256 * 1024, 4L << 30,
                new TraceLimits(64L << 20, 7L * 24 * 3600 * 1_000_000, 1 << 20));
        assertThat(run.piecesTouched()).isEqualTo(291);
        assertThat(run.pieces()[0]).isZero();
        assertThat(run.firstAccessMicros()[0]).isZero();
        assertThat(run.durationMicros()).isEqualTo(43_086_098);
    }
}
