package io.bootswarm.bench.trace;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.BitSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class TraceTest {

    static final int PIECE = 256 * 1024;

    @TempDir
    Path dir;

    @Test
    void theDebianBootTraceHasTheReadsItsReadmeCounts() throws Exception {
        Trace t = Trace.debianBoot();
        assertThat(t.size()).isEqualTo(1012);
        assertThat(t.bytesRead() / 1048576.0).isCloseTo(44.0, within(0.5));
        assertThat(t.pieces(PIECE).cardinality()).isEqualTo(291);
        assertThat(t.durationSeconds()).isCloseTo(43, within(1.0));
        assertThat(t.imageSize()).isEqualTo(4L << 30);
    }

    @Test
    void memoryPlaybackIsTheBytesIssuedByEachTime() {
        Trace t = new Trace("t", 1 << 20, List.of(new Read(0, 0, 100), new Read(2_000_000, 4096, 50),
                new Read(1_000_000, 8192, 10)));
        Playback m = t.memoryPlayback();
        assertThat(m.at(0)).isEqualTo(100);
        assertThat(m.at(1.5)).isEqualTo(110);
        assertThat(m.at(2)).isEqualTo(160);
        assertThat(m.timeOf(111)).isEqualTo(2.0);
        assertThat(m.completion()).isEqualTo(2.0);
        assertThat(t.thinkMicros(1)).isEqualTo(1_000_000);
        Playback slow = m.scaled(2, 1);
        assertThat(slow.normalizedAgainst(m)).isEqualTo(2.0);
        double[][] delay = slow.delayAgainst(m);
        assertThat(delay[1]).containsExactly(0, 1, 2);
    }

    @Test
    void scalingBytesKeepsThePiecesEachReadTouches() throws Exception {
        Trace t = Trace.debianBoot();
        for (int f : new int[]{2, 8, 16}) {
            Trace s = t.scaleBytes(f);
            assertThat(s.size()).isEqualTo(t.size());
            for (int i = 0; i < t.size(); i++) {
                Read a = t.reads().get(i);
                Read b = s.reads().get(i);
                assertThat(b.firstPiece(PIECE / f)).isEqualTo(a.firstPiece(PIECE));
                assertThat(b.lastPiece(PIECE / f)).isEqualTo(a.lastPiece(PIECE));
            }
            assertThat(s.pieces(PIECE / f)).isEqualTo(t.pieces(PIECE));
            assertThat((double) s.bytesRead() * f / t.bytesRead()).isCloseTo(1.0, within(0.02));
        }
    }

    @Test
    void csvRoundTrip() throws Exception {
        Trace t = Trace.debianBoot().head(50);
        t.writeCsv(dir.resolve("t.csv"));
        Trace back = Trace.load(dir.resolve("t.csv"), t.imageSize());
        assertThat(back.reads()).isEqualTo(t.reads());
    }

    @Test
    void syntheticRunsAreSparseBurstyDeterministicAndVaryFromRunToRun() {
        SyntheticTrace g = SyntheticTrace.paperLike(42);
        Trace base = g.run(0);
        assertThat(g.run(0).reads()).isEqualTo(base.reads());
        long pieces = base.imageSize() / PIECE;
        BitSet touched = base.pieces(PIECE);
        // sparsity: about 8 % of the image's pieces
        assertThat(touched.cardinality() / (double) pieces).isBetween(0.06, 0.09);
        assertThat(base.durationSeconds()).isBetween(50.0, 61.0);
        // bursty: most reads follow the previous one within a few ms, and a few gaps hold most of the time
        long shortGaps = 0;
        double longGapSeconds = 0;
        for (int i = 1; i < base.size(); i++) {
            long think = base.thinkMicros(i);
            if (think < 5_000) {
                shortGaps++;
            } else if (think > 1_000_000) {
                longGapSeconds += think / 1e6;
            }
        }
        assertThat(shortGaps).isGreaterThan(base.size() * 9L / 10);
        assertThat(longGapSeconds).isGreaterThan(0.6 * base.durationSeconds());
        // run-to-run variation: most pieces shared, some dropped and some added
        BitSet other = g.run(1).pieces(PIECE);
        BitSet common = (BitSet) touched.clone();
        common.and(other);
        BitSet added = (BitSet) other.clone();
        added.andNot(touched);
        BitSet dropped = (BitSet) touched.clone();
        dropped.andNot(other);
        assertThat(common.cardinality()).isGreaterThan(touched.cardinality() * 8 / 10);
        assertThat(added.cardinality()).isPositive();
        assertThat(dropped.cardinality()).isPositive();
        assertThat(g.run(2).reads()).isNotEqualTo(g.run(1).reads());
    }

    @Test
    void profileOrdersPiecesByMeanFirstAccessWithTheShareOfRuns() {
        int p = 1000;
        Trace a = new Trace("a", 10_000, List.of(new Read(0, 0, 10), new Read(1_000_000, 2500, 600),
                new Read(3_000_000, 1000, 10)));
        Trace b = new Trace("b", 10_000, List.of(new Read(0, 0, 10), new Read(2_000_000, 1000, 10)));
        Profile prof = Profile.fromTraces(List.of(a, b), p);
        // piece 0 at 0 s in both; piece 2 (read at 1 s in a) and 3; piece 1 at 3 s in a and 2 s in b: mean 2.5 s
        assertThat(prof.order()).containsExactly(0, 2, 3, 1);
        assertThat(prof.rows().get(0).share()).isEqualTo(1.0);
        assertThat(prof.rows().get(1).share()).isEqualTo(0.5);
        assertThat(prof.rows().get(3).meanSeconds()).isEqualTo(2.5);
        assertThat(prof.runs()).isEqualTo(2);
    }
}
