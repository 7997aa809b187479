package io.bootswarm.bench.harness;

import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.trace.Playback;
import io.bootswarm.bench.trace.Read;
import io.bootswarm.bench.trace.SyntheticTrace;
import io.bootswarm.bench.trace.Trace;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The harness measured against what it must reproduce: M(t), a link's cap, the image's bytes. The first two
 * time the harness on the wall clock (its calibration as a measuring instrument): tagged {@code perf}, out
 * of the default run ({@code ./mvnw -pl bench test -Dgroups=perf -Dbench.perf.excluded=none} runs them).
 */
class HarnessTest {

    @TempDir
    Path dir;

    /** Replaying from memory (reads return at once) gives back M(t): every read completes when M says. */
    @Test
    @Tag("perf")
    void aReplayFromMemoryReproducesM() {
        Trace trace = SyntheticTrace.small(64L << 20, 256 * 1024, 2.0, 7).run(0);
        Replayer replayer = new Replayer(trace, (offset, dst) -> dst.position(dst.limit()));
        replayer.run(System.nanoTime());

        Playback p = replayer.playback();
        Playback m = trace.memoryPlayback();
        assertThat(replayer.finished()).isTrue();
        assertThat(p.total()).isEqualTo(m.total());
        double worst = 0;
        for (int i = 0; i < trace.size(); i++) {
            worst = Math.max(worst, Math.abs(p.seconds()[i] - m.seconds()[i]));
        }
        System.out.printf("memory replay of %d reads over %.2f s: worst read %.2f ms off M(t), normalized %.4f%n",
                trace.size(), m.completion(), worst * 1e3, p.normalizedAgainst(m));
        assertThat(worst).as("largest gap between a read's completion and M(t), s").isLessThan(0.030);
        assertThat(p.normalizedAgainst(m)).isBetween(0.99, 1.02);
    }

    /** One agent streaming from the seed, both capped at 4 MB/s: the reads go at the cap, not above, not far below. */
    @Test
    @Tag("perf")
    void aLinkRateCapHoldsWithinTenPercent() throws Exception {
        int piece = HarnessConfig.PIECE;
        List<Read> reads = new ArrayList<>();
        for (int p = 0; p < 48; p++) {
            reads.add(new Read(0, (long) p * piece, piece)); // back to back: the VM waits on the link only
        }
        Trace trace = new Trace("stream", 16L << 20, reads);
        long cap = 4_000_000;
        HarnessConfig c = HarnessConfig.of(Mode.CS_D, 1, dir).withRate(cap).withLatency(Duration.ZERO);
        HarnessResult r = Harness.run(c, trace);

        double seconds = r.agents().getFirst().playback().completion();
        double rate = trace.bytesRead() / seconds;
        System.out.printf("12 MiB at a %d B/s cap: %.2f s, %.0f B/s (%.1f %% of the cap)%n", cap, seconds, rate,
                100 * rate / cap);
        assertThat(r.finishedAgents()).isEqualTo(1);
        assertThat(rate).isLessThanOrEqualTo(cap * 1.05).isGreaterThan(cap * 0.9);
    }

    /** Four agents in p2p_p: every byte every VM read is the image's, and the agents fed each other. */
    @Test
    void aSmallP2pRunReadsEveryAgentsBytesCorrectly() throws Exception {
        Trace trace = SyntheticTrace.small(32L << 20, HarnessConfig.PIECE, 3.0, 3).run(0);
        HarnessConfig c = HarnessConfig.of(Mode.P2P_P, 4, dir).withRate(8_000_000).withScale(2)
                .withTimeout(Duration.ofSeconds(30));
        HarnessResult r = Harness.run(c, trace, true, line -> {
        });

        System.out.println(r.summary());
        long reads = 4L * trace.size();
        assertThat(r.finishedAgents()).isEqualTo(4);
        assertThat(r.mismatchedReads()).as("reads of %d with bytes other than the image's", reads).isZero();
        long fromPeers = r.agents().stream().mapToLong(a -> a.piecesFetched() - a.piecesFromSeed()).sum();
        assertThat(fromPeers).as("pieces the agents got from each other").isPositive();
        assertThat(r.seedCopies()).as("seed upload in copies of the image's touched bytes").isLessThan(4);
        assertThat(r.meanNormalized()).isGreaterThanOrEqualTo(0.99);
    }

    /**
     * A preheated p2p_d run: the agents fetch the profile (the trace's own pieces) before the VMs boot, so no
     * read waits for a piece, every byte is the image's, and the preheat's time and seed bytes are reported.
     */
    @Test
    void aPreheatedRunBootsWithoutADemandMiss() throws Exception {
        Trace trace = SyntheticTrace.small(32L << 20, HarnessConfig.PIECE, 3.0, 5).run(0);
        HarnessConfig c = HarnessConfig.of(Mode.P2P_D, 3, dir).withRate(8_000_000).withScale(2)
                .withTimeout(Duration.ofSeconds(30));
        HarnessResult cold = Harness.run(c, trace, true, false, line -> {
        });
        HarnessResult warm = Harness.run(c, trace, true, true, line -> {
        });

        System.out.println(warm.summary());
        assertThat(cold.demandMisses()).as("a cold p2p_d boot waits for pieces").isPositive();
        assertThat(cold.preheatSeconds()).isZero();
        assertThat(warm.finishedAgents()).isEqualTo(3);
        assertThat(warm.mismatchedReads()).isZero();
        assertThat(warm.demandMisses()).as("reads that waited for a piece after the preheat").isZero();
        assertThat(warm.preheatSeconds()).isPositive();
        assertThat(warm.preheatSeedBytes()).as("the seed sent at least one copy of the profile")
                .isGreaterThanOrEqualTo(warm.touchedBytes());
    }
}
