package io.bootswarm.allocator.reports;

import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.events.SwarmReport.Entry;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ProblemBuilderTest {

    private static final UUID A = UUID.fromString("00000000-0000-0000-0000-00000000000a");
    private static final UUID B = UUID.fromString("00000000-0000-0000-0000-00000000000b");
    private static final String SHARED = "11111111111111111111111111111111";
    private static final String ONLY_A = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private static final String ONLY_B = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private static final long US = 100_000_000;

    private static SwarmReport report(String host, long capacity, Entry... entries) {
        return new SwarmReport(UUID.randomUUID(), Instant.parse("2026-01-01T00:00:00Z"), host, capacity, List.of(entries));
    }

    private static Entry image(UUID image, long missing, double share) {
        return new Entry("ab".repeat(20), image, null, missing, share);
    }

    private static Entry group(UUID image, String group, long missing, double share) {
        return new Entry("ab".repeat(20), image, group, missing, share);
    }

    private static Inputs.Swarm swarm(Inputs inputs, String id) {
        return inputs.swarms().stream().filter(s -> s.swarmId().equals(id)).findFirst().orElseThrow();
    }

    /** Two hosts of A, one of B; the shared group is fed by A's and B's agents alike (Eq. 10). */
    private static List<SwarmReport> twoImages() {
        return List.of(
                report("a1", 10_000_000, image(A, 300, 1.0), group(A, SHARED, 200, 0.6), group(A, ONLY_A, 100, 0.4)),
                report("a2", 20_000_000, image(A, 0, 1.0), group(A, SHARED, 0, 0.5), group(A, ONLY_A, 0, 0.5)),
                report("b1", 5_000_000, image(B, 1000, 0.2), group(B, SHARED, 400, 0.1), group(B, ONLY_B, 600, 0.1)));
    }

    @Test
    void groupsSumMissingBytesAndUploadOverEveryHostWhicheverImage() {
        Inputs in = ProblemBuilder.build(twoImages(), Inputs.Level.GROUP, US);

        assertThat(in.level()).isEqualTo(Inputs.Level.GROUP);
        assertThat(in.hosts()).isEqualTo(3);
        assertThat(in.seedUpload()).isEqualTo(US);
        assertThat(in.swarms()).extracting(Inputs.Swarm::swarmId).containsExactly(SHARED, ONLY_A, ONLY_B);
        Inputs.Swarm shared = swarm(in, SHARED);
        assertThat(shared.remainingBytes()).isEqualTo(600);
        assertThat(shared.peerUploadRate()).isCloseTo(10e6 * 0.6 + 20e6 * 0.5 + 5e6 * 0.1, within(1e-6));
        assertThat(shared.popularity()).isEqualTo(2);
        assertThat(shared.imageIds()).containsExactly(A.toString(), B.toString());
        Inputs.Swarm onlyA = swarm(in, ONLY_A);
        assertThat(onlyA.remainingBytes()).isEqualTo(100);
        assertThat(onlyA.peerUploadRate()).isCloseTo(4e6 + 10e6, within(1e-6));
        assertThat(onlyA.popularity()).isEqualTo(1);
        assertThat(onlyA.imageIds()).containsExactly(A.toString());
        assertThat(swarm(in, ONLY_B).peerUploadRate()).isCloseTo(0.5e6, within(1e-6));
        assertThat(in.totalRemainingBytes()).isEqualTo(1300);
        assertThat(in.problem().size()).isEqualTo(3);
        assertThat(in.problem().serverUploadRate()).isEqualTo(US);
    }

    @Test
    void imageLevelUsesTheImageEntriesOnly() {
        Inputs in = ProblemBuilder.build(twoImages(), Inputs.Level.IMAGE, US);

        assertThat(in.level()).isEqualTo(Inputs.Level.IMAGE);
        assertThat(in.swarms()).extracting(Inputs.Swarm::swarmId).containsExactly(A.toString(), B.toString());
        assertThat(swarm(in, A.toString()).remainingBytes()).isEqualTo(300);
        assertThat(swarm(in, A.toString()).peerUploadRate()).isCloseTo(30e6, within(1e-6));
        assertThat(swarm(in, A.toString()).popularity()).isEqualTo(1);
        assertThat(swarm(in, B.toString()).remainingBytes()).isEqualTo(1000);
        assertThat(swarm(in, B.toString()).peerUploadRate()).isCloseTo(1e6, within(1e-6));
    }

    @Test
    void groupLevelFallsBackToImagesWhenNoReportHasGroups() {
        Inputs in = ProblemBuilder.build(List.of(report("a1", 1000, image(A, 50, 1.0)),
                report("b1", 1000, image(B, 70, 0.5))), Inputs.Level.GROUP, US);

        assertThat(in.level()).isEqualTo(Inputs.Level.IMAGE);
        assertThat(in.swarms()).extracting(Inputs.Swarm::remainingBytes).containsExactly(50.0, 70.0);
        assertThat(in.swarms()).extracting(Inputs.Swarm::peerUploadRate).containsExactly(1000.0, 500.0);
    }

    @Test
    void aHostInTwoImagesCountsASharedGroupOnce() {
        Inputs in = ProblemBuilder.build(List.of(report("ab", 1000,
                group(A, SHARED, 300, 0.25), group(B, SHARED, 300, 0.5))), Inputs.Level.GROUP, US);

        Inputs.Swarm shared = swarm(in, SHARED);
        assertThat(shared.remainingBytes()).isEqualTo(300);
        assertThat(shared.peerUploadRate()).isEqualTo(500);
        assertThat(shared.popularity()).isEqualTo(1);
        assertThat(shared.imageIds()).containsExactly(A.toString(), B.toString());
        assertThat(in.hosts()).isEqualTo(1);
    }

    @Test
    void unusableEntriesAndHostsWithNothingElseAreSkipped() {
        Inputs in = ProblemBuilder.build(List.of(
                report("bad", 1000, group(A, SHARED, -1, 0.5), group(A, ONLY_A, 10, 1.5), group(null, ONLY_B, 10, 0.5),
                        group(A, " ", 10, 0.5)),
                report("good", 1000, group(A, SHARED, 10, 0.5))), Inputs.Level.GROUP, US);

        assertThat(in.hosts()).isEqualTo(1);
        assertThat(in.swarms()).extracting(Inputs.Swarm::swarmId).containsExactly(SHARED);
        assertThat(swarm(in, SHARED).remainingBytes()).isEqualTo(10);
        assertThat(swarm(in, SHARED).peerUploadRate()).isEqualTo(500);
    }

    @Test
    void noReportsMakeNoSwarms() {
        Inputs in = ProblemBuilder.build(List.of(), Inputs.Level.GROUP, US);
        assertThat(in.isEmpty()).isTrue();
        assertThat(in.hosts()).isZero();
    }
}
