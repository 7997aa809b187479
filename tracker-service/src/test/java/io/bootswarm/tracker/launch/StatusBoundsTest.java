package io.bootswarm.tracker.launch;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.LaunchStatus.State;
import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class StatusBoundsTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
    private static final long NOW_MICROS = ChronoUnit.MICROS.between(Instant.EPOCH, NOW);
    private static final long GAP = 1_000_000;
    private static final long SKEW_MICROS = Duration.ofMinutes(5).toNanos() / 1000;

    private final ManualClock clock = new ManualClock(NOW);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StatusBounds bounds = new StatusBounds(TrackerProperties.defaults(), clock, meters);

    private static LaunchStatus status(Instant at, String host, String nbdUri, String unixUri, int present,
                                       String detail) {
        return new LaunchStatus(UUID.randomUUID(), at, UUID.randomUUID(), host, State.READY, 1, nbdUri, unixUri,
                present, 100, present * 1000L, detail);
    }

    private static LaunchStatus withUri(String nbdUri, String unixUri) {
        return status(NOW, "host-a", nbdUri, unixUri, 1, null);
    }

    private static Optional<StatusBounds.Reason> reason(Optional<StatusBounds.Violation> v) {
        return v.map(StatusBounds.Violation::reason);
    }

    @Test
    void aGenuineReportPasses() {
        assertThat(bounds.check(withUri("nbd://10.0.0.7:10809/x", "nbd+unix:///x?socket=/run/a.sock"))).isEmpty();
        assertThat(bounds.check(withUri("nbd://[fd00::7]:10809/x", null))).isEmpty();
        assertThat(bounds.check(withUri(null, null))).isEmpty();
        assertThat(bounds.check(status(null, "host-a", null, null, 0, "disk full"))).isEmpty();
    }

    @Test
    void oversizeFieldsAreDropped() {
        String longUri = "nbd://h:1/" + "x".repeat(StatusBounds.MAX_URI);
        assertThat(bounds.check(withUri("nbd://h:1/" + "x".repeat(StatusBounds.MAX_URI - 10), null))).isEmpty();
        assertThat(reason(bounds.check(withUri(longUri, null)))).contains(StatusBounds.Reason.OVERSIZE);
        assertThat(reason(bounds.check(withUri(null, "nbd+unix:///" + "x".repeat(StatusBounds.MAX_URI)))))
                .contains(StatusBounds.Reason.OVERSIZE);
        assertThat(reason(bounds.check(status(NOW, "h", null, null, 0, "d".repeat(StatusBounds.MAX_DETAIL + 1)))))
                .contains(StatusBounds.Reason.OVERSIZE);
        assertThat(bounds.check(status(NOW, "h", null, null, 0, "d".repeat(StatusBounds.MAX_DETAIL)))).isEmpty();
        assertThat(reason(bounds.check(status(NOW, "h".repeat(StatusBounds.MAX_HOST + 1), null, null, 0, null))))
                .contains(StatusBounds.Reason.OVERSIZE);
    }

    @Test
    void uriThatAreNotNbdAndNegativeProgressAreMalformed() {
        assertThat(reason(bounds.check(withUri("http://169.254.169.254/latest", null))))
                .contains(StatusBounds.Reason.MALFORMED);
        assertThat(reason(bounds.check(withUri("nbd://h:1/x", "file:///etc/passwd"))))
                .contains(StatusBounds.Reason.MALFORMED);
        assertThat(reason(bounds.check(status(NOW, "h", null, null, -1, null)))).contains(StatusBounds.Reason.MALFORMED);
    }

    @Test
    void aTimestampFurtherAheadThanTheClockSkewIsDropped() {
        assertThat(bounds.check(status(NOW.plus(Duration.ofMinutes(5)), "h", null, null, 0, null))).isEmpty();
        assertThat(bounds.check(status(NOW.minus(Duration.ofDays(3)), "h", null, null, 0, null))).isEmpty();
        assertThat(reason(bounds.check(status(NOW.plus(Duration.ofMinutes(5)).plusMillis(1), "h", null, null, 0,
                null)))).contains(StatusBounds.Reason.CLOCK_SKEW);
    }

    @Test
    void sequencesNumberedByTheAgentsClockPassWhateverTheSilenceBefore() {
        // the first report of a host, numbered by the agent's clock in microseconds
        assertThat(bounds.checkSequence(-1, NOW_MICROS)).isEmpty();
        // a report an hour after the last one, a gap far over max-sequence-gap
        assertThat(bounds.checkSequence(NOW_MICROS - 3_600_000_000L, NOW_MICROS)).isEmpty();
        // an agent whose clock is ahead, within the skew
        assertThat(bounds.checkSequence(NOW_MICROS, NOW_MICROS + SKEW_MICROS)).isEmpty();
    }

    @Test
    void aSequenceAheadOfBothTheGapAndTheClockIsDropped() {
        assertThat(reason(bounds.checkSequence(NOW_MICROS, Long.MAX_VALUE))).contains(StatusBounds.Reason.SEQUENCE_GAP);
        assertThat(reason(bounds.checkSequence(-1, Long.MAX_VALUE))).contains(StatusBounds.Reason.SEQUENCE_GAP);
        assertThat(reason(bounds.checkSequence(5, NOW_MICROS + SKEW_MICROS + 1)))
                .contains(StatusBounds.Reason.SEQUENCE_GAP);
        // past the clock, a sequence may still run max-sequence-gap ahead of the last one applied
        long past = NOW_MICROS + SKEW_MICROS;
        assertThat(bounds.checkSequence(past, past + GAP)).isEmpty();
        assertThat(reason(bounds.checkSequence(past, past + GAP + 1))).contains(StatusBounds.Reason.SEQUENCE_GAP);
        assertThat(bounds.checkSequence(Long.MAX_VALUE - 5, Long.MAX_VALUE)).as("no overflow").isEmpty();
        // as the clock moves on, so does the bound
        clock.advance(Duration.ofMinutes(1));
        assertThat(bounds.checkSequence(5, NOW_MICROS + SKEW_MICROS + 60_000_000L)).isEmpty();
    }

    @Test
    void dropsAreCountedByReasonAndWarnedAtMostOnceAMinutePerReason() {
        LaunchStatus s = withUri("http://x", null);
        StatusBounds.Violation malformed = new StatusBounds.Violation(StatusBounds.Reason.MALFORMED, "not an NBD URI");
        StatusBounds.Violation gap = new StatusBounds.Violation(StatusBounds.Reason.SEQUENCE_GAP, "far ahead");

        assertThat(bounds.drop(s, malformed)).isTrue();
        assertThat(bounds.drop(s, malformed)).isFalse();
        assertThat(bounds.drop(s, gap)).isTrue();
        clock.advance(Duration.ofSeconds(59));
        assertThat(bounds.drop(s, malformed)).isFalse();
        clock.advance(Duration.ofSeconds(1));
        assertThat(bounds.drop(s, malformed)).isTrue();
        assertThat(bounds.drop(s, malformed)).isFalse();

        assertThat(meters.counter("bootswarm.tracker.status.dropped", "reason", "malformed").count()).isEqualTo(5);
        assertThat(meters.counter("bootswarm.tracker.status.dropped", "reason", "sequence-gap").count()).isEqualTo(1);
        assertThat(meters.counter("bootswarm.tracker.status.dropped", "reason", "unknown-launch").count()).isZero();
    }
}
