package io.bootswarm.bench.sim;

import io.bootswarm.bench.model.AnalyticModel;
import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.model.ModelParameters;
import io.bootswarm.bench.trace.SyntheticTrace;
import io.bootswarm.bench.trace.Trace;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SwarmSimTest {

    private static final int S = 256 * 1024;

    private static Workload synthetic() {
        Trace t = SyntheticTrace.small(256L << 20, S, 20, 3).run(0);
        return Workload.of(t, S);
    }

    @Test
    void everyByteSentIsReceivedAndEveryVmGetsWhatItReads() {
        Workload w = synthetic();
        for (Mode m : new Mode[] {Mode.CS_D, Mode.CS_P, Mode.P2P_D, Mode.P2P_P}) {
            int n = 12;
            SimResult r = SwarmSim.run(w, SimConfig.of(m, n).withStartSpread(0.5));
            assertThat(r.seedBytes() + r.agentBytes()).as(m.label()).isCloseTo(r.downloadedBytes(), within(1e-3));
            assertThat(r.downloadedBytes()).isEqualTo((double) r.pieces() * S);
            // one fetch per piece and host: demand reads at least the pieces read, prefetch at most the profile
            assertThat(r.pieces()).isGreaterThanOrEqualTo((long) n * w.piecesRead()).isLessThanOrEqualTo((long) n * w.pieceCount());
            if (!m.p2p()) {
                assertThat(r.agentBytes()).isZero();
                assertThat(r.piecesFromSeed()).isEqualTo(r.pieces());
            }
            assertThat(r.normalized()).hasSize(n);
            assertThat(r.min()).isGreaterThanOrEqualTo(1 - 1e-9);
        }
    }

    @Test
    void noLinkCarriesMoreThanItsCapacity() {
        Workload w = synthetic();
        for (Mode m : new Mode[] {Mode.CS_P, Mode.P2P_D, Mode.P2P_P}) {
            SimResult r = SwarmSim.runAudited(w, SimConfig.of(m, 8).withSeedRate(4 * SimConfig.MBPS_100).withStartSpread(1));
            assertThat(r.maxUpRatio()).as(m.label()).isLessThanOrEqualTo(1 + 1e-9).isGreaterThan(0.5);
            assertThat(r.maxDownRatio()).as(m.label()).isLessThanOrEqualTo(1 + 1e-9).isGreaterThan(0.2);
        }
    }

    @Test
    void partitionedSeedPrefetchesSendEachPieceFromTheSeedAboutOnceAndDoNotSlowTheBoot() throws IOException {
        Workload w = Workload.of(Trace.debianBoot(), S);
        SimConfig shared = SimConfig.of(Mode.P2P_P, 100).withPartitionSeed(false);
        SimResult before = SwarmSim.run(w, shared);
        SimResult after = SwarmSim.run(w, shared.withPartitionSeed(true).withTrackerPeers(200));
        // every agent knows all the others: one owner per piece, so the seed sends little more than one copy
        assertThat(after.piecesFromSeed()).isLessThan(2L * w.piecesRead()).isLessThan(before.piecesFromSeed() / 4);
        assertThat(after.mean()).isLessThan(1.5).isLessThan(before.mean() / 2);
        SimResult partial = SwarmSim.run(w, shared.withPartitionSeed(true).withTrackerPeers(50));
        assertThat(partial.piecesFromSeed()).isLessThan(before.piecesFromSeed() / 2);
        assertThat(partial.mean()).isLessThan(before.mean());
    }

    @Test
    void aSeedGivesTheSameRunAndAnotherSeedADifferentOne() {
        Workload w = synthetic();
        SimConfig c = SimConfig.of(Mode.P2P_P, 16).withStartSpread(0.5).withSeed(42);
        SimResult a = SwarmSim.run(w, c);
        SimResult b = SwarmSim.run(w, c);
        assertThat(b.normalized()).containsExactly(a.normalized());
        assertThat(b.piecesFromSeed()).isEqualTo(a.piecesFromSeed());
        assertThat(b.events()).isEqualTo(a.events());
        SimResult other = SwarmSim.run(w, c.withSeed(43));
        assertThat(other.normalized()).isNotEqualTo(a.normalized());
    }

    /**
     * At N = 1 the simulator is the analytic model's setting: one peer, the seed's link, W per
     * piece. Demand (Eq. 4 at r = S / (W + S/r_net)) must agree within 0.5 %; profile prefetch
     * within 5 % (the model prefetches in order with perfect prediction at the full rate r, the
     * agent one piece at a time from the seed, in a window of k, sharing the link with demand).
     */
    @Test
    void atOnePeerTheSimulatorAgreesWithTheAnalyticModel() throws IOException {
        for (Workload w : new Workload[] {synthetic(), Workload.of(Trace.debianBoot(), S)}) {
            for (double rate : new double[] {SimConfig.MBPS_100, SimConfig.GBPS_1}) {
                SimConfig c = SimConfig.of(Mode.CS_D, 1).withRate(rate).withLatency(1e-3);
                AnalyticModel model = new AnalyticModel(w.demandCurve(), new ModelParameters(1e-3, 0, S, rate));
                double simD = SwarmSim.run(w, c).mean();
                assertThat(simD).as("cs_d %s %.0f", w.name(), rate)
                        .isCloseTo(model.normalizedRuntime(Mode.CS_D, 1), within(0.005 * simD));
                double simP = SwarmSim.run(w, c.withMode(Mode.CS_P)).mean();
                assertThat(simP).as("cs_p %s %.0f", w.name(), rate)
                        .isCloseTo(model.normalizedRuntime(Mode.CS_P, 1), within(0.05 * simP));
                assertThat(SwarmSim.run(w, c.withMode(Mode.P2P_D)).mean()).isEqualTo(simD);
            }
        }
    }

    @Test
    void swarmingBeatsTheSeedAloneAtScale() {
        Workload w = synthetic();
        SimConfig c = SimConfig.of(Mode.CS_D, 64).withStartSpread(0.5);
        double csd = SwarmSim.run(w, c).mean();
        SimResult p2pp = SwarmSim.run(w, c.withMode(Mode.P2P_P));
        assertThat(p2pp.mean()).isLessThan(csd / 2);
        assertThat(p2pp.agentBytes()).isGreaterThan(p2pp.seedBytes());
    }

    @Test
    void prefetchFollowsTheAgentsSlots() {
        Workload all = synthetic();
        // a profile of half the pieces: fill has the other half to fetch
        Workload w = all.withProfile(java.util.Arrays.copyOf(all.profile(), all.profile().length / 2));
        SimConfig c = SimConfig.of(Mode.P2P_P, 24).withFill(true).withStartSpread(0.5);
        int[] peaks = SwarmSim.prefetchPeaks(w, c);
        // fill-concurrency once the profile is done; owned pieces within the seed slots; one slot on a piece only the seed has
        assertThat(peaks[0]).isEqualTo(c.fillConcurrency());
        assertThat(peaks[1]).isBetween(1, c.seedPrefetchSlots());
        assertThat(peaks[2]).isPositive();
        assertThat(peaks[3]).isZero();
        assertThat(SwarmSim.prefetchPeaks(w, c.withFill(false))[0]).isEqualTo(c.prefetchConcurrency());
    }

    @Test
    void theHeavyTraceTouchesMoreThan350MibInAboutAMinute() throws IOException {
        Workload w = SimLab.workload(io.bootswarm.bench.Lab.Args.parse("sim-fig9", java.util.List.of("--trace", "heavy")));
        assertThat((long) w.piecesRead() * S).isGreaterThanOrEqualTo(350L << 20);
        assertThat(w.reads()).isBetween(7_000, 9_000);
        assertThat(w.ideal()).isBetween(55.0, 70.0);
        assertThat(w.pieceCount()).isGreaterThan(w.piecesRead()); // the profile of runs 1-3 names pieces run 0 skips
    }
}
