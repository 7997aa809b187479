package io.bootswarm.bench.harness;

import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.sim.SimConfig;
import io.bootswarm.bench.sim.SimResult;
import io.bootswarm.bench.sim.SwarmSim;
import io.bootswarm.bench.sim.Workload;
import io.bootswarm.bench.trace.SyntheticTrace;
import io.bootswarm.bench.trace.Trace;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The simulator against the harness where both run: the same trace, links, latency and piece size,
 * normalized runtime side by side. Stated margin: 30 % at N ≤ 4, measured −4 to −16 % (p2p_p, n = 4) and
 * +12 to +17 % (cs_d, n = 2) on a shared machine (the simulator leaves out per-piece
 * CPU, choking and connection set-up; at N = 16 and 100 on the lab's traces the gap measured 29–38 %,
 * see bench/README.md). The harness runs in wall time, so a run during which other processes kept the machine
 * busy is skipped, saying so, rather than compared.
 */
class SimulatorCalibrationTest {

    private static final double MARGIN = 0.30;
    private static final long RATE = 8_000_000;
    /** Other processes' share of the machine's CPU above which the harness's wall times say nothing. */
    private static final double SATURATED = 0.5;

    @TempDir
    Path dir;

    private void agree(Mode mode, int peers, Trace trace) throws Exception {
        HarnessConfig c = HarnessConfig.of(mode, peers, dir).withRate(RATE).withTimeout(Duration.ofSeconds(60));
        HarnessResult measured = Harness.run(c, trace, false, line -> {
        });
        SimResult simulated = SwarmSim.run(Workload.of(trace, HarnessConfig.PIECE),
                SimConfig.of(mode, peers).withRate(RATE).withLatency(c.latency().toNanos() / 1e9)
                        .withSeedPrefetchSlots(c.seedPrefetchSlots()));
        double h = measured.meanNormalized();
        double s = simulated.mean();
        System.out.printf("%s n=%d: harness %.3f, simulator %.3f (%+.1f %%)%n", mode, peers, h, s, 100 * (s / h - 1));
        assertThat(measured.finishedAgents()).isEqualTo(peers);
        double othersCpu = measured.machine().systemCpuMean() - measured.machine().cpuMean();
        assumeTrue(othersCpu < SATURATED, () -> String.format("skipped: the harness measures wall time, and other processes"
                + " kept the machine %.0f %% busy during its run (calibration needs them below %.0f %%)",
                100 * othersCpu, 100 * SATURATED));
        assertThat(s).as("simulated normalized runtime against the harness's %.3f, %s n=%d", h, mode, peers)
                .isBetween(h * (1 - MARGIN), h * (1 + MARGIN));
    }

    @Test
    void centralizedDemandAtTwoAgentsAgreesWithTheHarness() throws Exception {
        agree(Mode.CS_D, 2, SyntheticTrace.small(32L << 20, HarnessConfig.PIECE, 3.0, 3).run(0));
    }

    @Test
    void peerToPeerProfileAtFourAgentsAgreesWithTheHarness() throws Exception {
        agree(Mode.P2P_P, 4, SyntheticTrace.small(32L << 20, HarnessConfig.PIECE, 3.0, 3).run(0));
    }
}
