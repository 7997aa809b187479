package io.bootswarm.agent.report;

import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLongArray;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * What a swarm report says, from known inputs: the pieces a host holds of each image, the bytes it
 * uploaded per piece, the seed's piece groups, and its upload limit. Wu et al.'s quantities, as
 * allocator-service reads them: R (missing bytes, per image and per group, a group's piece counted
 * once however many images the host runs contain it), θ (the share of the host's upload that went to
 * the group's pieces since the last report, or, when it uploaded nothing, the share of its held
 * bytes), u (the upload limit, or the assumed capacity when unlimited).
 */
class SwarmReporterTest {

    static final int PIECE = 64 * 1024;
    static final long ASSUMED = 12_500_000;

    final ManualClock clock = new ManualClock();
    final List<SwarmManager.Served> served = new ArrayList<>();
    final Map<UUID, String[]> groups = new HashMap<>();
    long uploadRate;

    final SwarmReporter reporter = new SwarmReporter(new SwarmReporter.Swarms() {
        @Override
        public List<SwarmManager.Served> served() {
            return served;
        }

        @Override
        public long uploadRate() {
            return uploadRate;
        }
    }, id -> groups.get(id), null, "host-1", ASSUMED, Duration.ofSeconds(5), clock);

    /** An image of {@code pieces} pieces, random but for {@code zero} (all zeros) and {@code shared} (from {@code base}). */
    static byte[] image(int pieces, long seed, int[] zero, byte[] base, int[] shared) {
        byte[] b = new byte[pieces * PIECE];
        new Random(seed).nextBytes(b);
        for (int z : zero) {
            Arrays.fill(b, z * PIECE, (z + 1) * PIECE, (byte) 0);
        }
        for (int s : shared) {
            System.arraycopy(base, s * PIECE, b, s * PIECE, PIECE);
        }
        return b;
    }

    static Manifest manifest(byte[] image) throws IOException {
        return new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), "report-test");
    }

    static PieceSet holding(int count, int... pieces) {
        PieceSet s = new PieceSet(count);
        for (int p : pieces) {
            s.add(p);
        }
        return s;
    }

    SwarmManager.Served serve(Manifest m, boolean running, PieceSet holds, String... groupOfPiece) {
        groups.put(m.imageId(), groupOfPiece);
        SwarmManager.Served s = new SwarmManager.Served(m, running, holds, new AtomicLongArray(m.pieceCount()));
        served.add(s);
        return s;
    }

    static SwarmReport.Entry entry(SwarmReport r, Manifest m, String group) {
        return r.swarms().stream().filter(e -> e.imageId().equals(m.imageId())
                && java.util.Objects.equals(e.groupId(), group)).findFirst().orElseThrow();
    }

    @Test
    void aHostInNoSwarmReportsNothing() throws IOException {
        assertThat(reporter.report()).isEmpty();
        Manifest m = manifest(image(2, 1, new int[0], null, new int[0]));
        serve(m, false, holding(2, 0), "g", "g"); // serves another image's pieces, runs none
        assertThat(reporter.report()).isEmpty();
    }

    @Test
    void missingBytesPerImageAndGroupAndUploadSharesOfTheLastInterval() throws IOException {
        // pieces 0-1 in group g1, 2-3 in g2, 4 all zeros; the host holds 0 and 2
        Manifest m = manifest(image(5, 1, new int[] {4}, null, new int[0]));
        SwarmManager.Served s = serve(m, true, holding(5, 0, 2, 4), "g1", "g1", "g2", "g2", null);
        s.uploaded().set(0, 3000);
        s.uploaded().set(2, 1000);
        uploadRate = 2_000_000;
        clock.advance(Duration.ofSeconds(42));

        SwarmReport r = reporter.report().orElseThrow();

        assertThat(r.host()).isEqualTo("host-1");
        assertThat(r.at()).isEqualTo(clock.instant());
        assertThat(r.uploadCapacity()).as("u: the upload limit").isEqualTo(2_000_000);
        assertThat(r.swarms()).hasSize(3);
        SwarmReport.Entry image = entry(r, m, null);
        assertThat(image.swarmId()).isEqualTo(m.swarmId().hex());
        assertThat(image.missingBytes()).as("R of the image: pieces 1 and 3").isEqualTo(2L * PIECE);
        assertThat(image.uploadShare()).isCloseTo(1.0, within(1e-9));
        assertThat(entry(r, m, "g1").missingBytes()).isEqualTo(PIECE);
        assertThat(entry(r, m, "g1").uploadShare()).as("θ of g1").isCloseTo(0.75, within(1e-9));
        assertThat(entry(r, m, "g2").missingBytes()).isEqualTo(PIECE);
        assertThat(entry(r, m, "g2").uploadShare()).isCloseTo(0.25, within(1e-9));

        // the next report counts only what was uploaded since: 1000 more bytes of piece 3, all g2
        s.uploaded().set(3, 1000);
        SwarmReport next = reporter.report().orElseThrow();
        assertThat(entry(next, m, "g1").uploadShare()).isZero();
        assertThat(entry(next, m, "g2").uploadShare()).isCloseTo(1.0, within(1e-9));
        assertThat(next.eventId()).isNotEqualTo(r.eventId());
    }

    @Test
    void withNoUploadTheSharesFollowTheHeldBytesAndAnUnlimitedHostReportsTheAssumedCapacity() throws IOException {
        Manifest m = manifest(image(4, 2, new int[0], null, new int[0]));
        serve(m, true, holding(4, 0, 1, 2), "g1", "g1", "g2", "g2");

        SwarmReport r = reporter.report().orElseThrow();

        assertThat(r.uploadCapacity()).isEqualTo(ASSUMED);
        assertThat(entry(r, m, "g1").uploadShare()).as("2 of 3 held pieces").isCloseTo(2.0 / 3, within(1e-9));
        assertThat(entry(r, m, "g2").uploadShare()).isCloseTo(1.0 / 3, within(1e-9));
        assertThat(entry(r, m, null).missingBytes()).isEqualTo(PIECE);
        assertThat(entry(r, m, null).uploadShare()).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void aGroupTwoRunningImagesShareIsReportedOnceWithItsPiecesCountedOnce() throws IOException {
        // A: pieces 0-1 in "common", 2 in "a"; B: pieces 0-1 the same as A's (so "common"), 2 in "b"
        byte[] a = image(3, 3, new int[0], null, new int[0]);
        Manifest ma = manifest(a);
        Manifest mb = manifest(image(3, 4, new int[0], a, new int[] {0, 1}));
        serve(ma, true, holding(3, 2), "common", "common", "a");
        SwarmManager.Served sb = serve(mb, true, holding(3), "common", "common", "b");
        sb.uploaded().set(2, 500);

        SwarmReport r = reporter.report().orElseThrow();

        assertThat(r.swarms()).extracting(SwarmReport.Entry::groupId).containsExactlyInAnyOrder(null, "common", "a",
                null, "b");
        assertThat(entry(r, ma, "common").missingBytes()).as("R of the shared group: its two pieces once")
                .isEqualTo(2L * PIECE);
        assertThat(entry(r, ma, null).missingBytes()).isEqualTo(2L * PIECE);
        assertThat(entry(r, mb, null).missingBytes()).isEqualTo(3L * PIECE);
        assertThat(entry(r, mb, "b").uploadShare()).isCloseTo(1.0, within(1e-9));
        assertThat(entry(r, ma, null).uploadShare()).isZero();
        assertThat(entry(r, mb, null).uploadShare()).isCloseTo(1.0, within(1e-9));
    }

    @Test
    void uploadsToAnotherImagesPeersCountInTheSharesButThatImageHasNoEntry() throws IOException {
        Manifest own = manifest(image(2, 5, new int[0], null, new int[0]));
        Manifest other = manifest(image(2, 6, new int[0], null, new int[0]));
        SwarmManager.Served mine = serve(own, true, holding(2, 0, 1), "g-own", "g-own");
        SwarmManager.Served cross = serve(other, false, holding(2, 0), "g-other", "g-other");
        mine.uploaded().set(0, 1000);
        cross.uploaded().set(0, 3000);

        SwarmReport r = reporter.report().orElseThrow();

        assertThat(r.swarms()).extracting(SwarmReport.Entry::imageId).containsOnly(own.imageId());
        assertThat(entry(r, own, "g-own").uploadShare()).isCloseTo(0.25, within(1e-9));
        assertThat(entry(r, own, "g-own").missingBytes()).isZero();
        assertThat(entry(r, own, null).uploadShare()).isCloseTo(0.25, within(1e-9));
    }
}
