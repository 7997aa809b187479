package io.bootswarm.agent.trace;

import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** The reads a disk's recorder keeps, their times on a hand-moved clock, and what it drops. */
class AccessRecorderTest {

    final ManualClock clock = new ManualClock();

    @Test
    void recordsEachReadWithItsTimeSinceTheDiskOpenedInMicroseconds() {
        AccessRecorder recorder = new AccessRecorder(10, clock);
        recorder.read(0, 4096);
        clock.advance(Duration.ofNanos(1_500_999));
        recorder.read(1 << 20, 512);
        clock.advance(Duration.ofSeconds(2));
        recorder.read(4096, 65536);

        assertThat(recorder.count()).isEqualTo(3);
        assertThat(recorder.reads()).containsExactly(0, 0, 4096, 1500, 1 << 20, 512, 2_001_500, 4096, 65536);
        assertThat(recorder.dropped()).isZero();
    }

    @Test
    void stopsAtMaxReadsOrWhenStoppedAndCountsWhatItDrops() {
        AccessRecorder recorder = new AccessRecorder(2, clock);
        recorder.read(0, 1);
        recorder.read(1, 1);
        recorder.read(2, 1);
        assertThat(recorder.count()).isEqualTo(2);
        assertThat(recorder.dropped()).isEqualTo(1);

        assertThat(recorder.isStopped()).isFalse();
        assertThat(recorder.stop()).as("the first stop takes the trace").isTrue();
        assertThat(recorder.stop()).isFalse();
        assertThat(recorder.isStopped()).isTrue();
        recorder.read(3, 1);
        assertThat(recorder.dropped()).isEqualTo(2);
        assertThat(recorder.reads()).containsExactly(0, 0, 1, 0, 1, 1);
    }

    @Test
    void growsPastItsInitialCapacity() {
        AccessRecorder recorder = new AccessRecorder(5000, clock);
        for (int i = 0; i < 3000; i++) {
            clock.advance(Duration.ofMillis(1));
            recorder.read(i * 4096L, 4096);
        }
        long[] reads = recorder.reads();
        assertThat(reads).hasSize(9000);
        assertThat(reads[3 * 2999]).isEqualTo(3_000_000);
        assertThat(reads[3 * 2999 + 1]).isEqualTo(2999 * 4096L);
    }
}
