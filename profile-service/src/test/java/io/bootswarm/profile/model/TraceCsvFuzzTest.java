package io.bootswarm.profile.model;

import com.code_intelligence.jazzer.junit.FuzzTest;

import java.io.ByteArrayInputStream;
import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz target for the boot-trace CSV parser (README "Fuzzing"): an uploaded body parses to reads
 * with their lines, or is refused with {@link TraceCsv.FormatException} or
 * {@link TraceCsv.TooLargeException}; reading a byte array cannot fail, so any other exception
 * (an {@link IOException} included) is a finding.
 */
class TraceCsvFuzzTest {

    private static final long MAX_BYTES = 16 * 1024;

    @FuzzTest(maxDuration = "30s")
    void parse(byte[] body) throws IOException {
        TraceCsv.Parsed parsed;
        try {
            parsed = TraceCsv.parse(new ByteArrayInputStream(body), MAX_BYTES);
        } catch (TraceCsv.FormatException | TraceCsv.TooLargeException expected) {
            return;
        }
        assertThat(body.length).isLessThanOrEqualTo((int) MAX_BYTES);
        assertThat(parsed.reads()).hasSize(3 * parsed.readCount());
        assertThat(parsed.requests()).isGreaterThanOrEqualTo(parsed.readCount());
        int previousLine = 1;
        for (int i = 0; i < parsed.readCount(); i++) {
            assertThat(parsed.reads()[3 * i]).isNotNegative();
            long offset = parsed.reads()[3 * i + 1];
            long length = parsed.reads()[3 * i + 2];
            assertThat(offset).isNotNegative();
            assertThat(length).isNotNegative();
            assertThat(offset + length).isNotNegative();
            assertThat(parsed.lineOf(i)).isGreaterThan(previousLine);
            previousLine = parsed.lineOf(i);
        }
    }
}
