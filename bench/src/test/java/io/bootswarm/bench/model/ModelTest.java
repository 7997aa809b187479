package io.bootswarm.bench.model;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ModelTest {

    private static final double S = 256 * 1024;
    private static final double R_NET = ModelParameters.MBPS_100;

    @Test
    void eq9AtOnePeerIsOnePieceOverWaitPlusTransfer() {
        double w = 1e-3;
        // n = 1: r = S / (W + S / r_net)
        assertThat(Rates.centralized(R_NET, S, 1, w)).isCloseTo(S / (w + S / R_NET), within(1e-6));
        // n peers share r_net: each piece takes W + n S / r_net
        assertThat(Rates.centralized(R_NET, S, 10, w)).isCloseTo(S / (w + 10 * S / R_NET), within(1e-6));
    }

    @Test
    void p2pAtOnePeerIsEq13AndAddsTheSwarmBeyond() {
        double w = 1e-3;
        assertThat(Rates.p2p(R_NET, S, 1, 5e-3, w)).isEqualTo(Rates.centralized(R_NET, S, 1, w));
        double swarm = S / (5e-3 + S / R_NET);
        assertThat(Rates.p2p(R_NET, S, 4, 5e-3, w)).isCloseTo(swarm + S / (w + 4 * S / R_NET), within(1e-6));
        assertThat(Rates.waitP2pProfile(1e-4, 2e-4, 16)).isCloseTo(1e-4 + 8e-4, within(1e-12));
        assertThat(Rates.waitP2pDemand(1e-4, 2e-4, 16)).isCloseTo(1e-4 + 32e-4, within(1e-12));
    }

    @Test
    void demandAtLeastAsFastAsThePeakRateFollowsM() {
        // 0..10 s at 1 MB/s, 10..12 s at 3 MB/s, 12..20 s flat
        DemandCurve m = DemandCurve.of(new double[] {0, 10, 12, 20}, new double[] {0, 10e6, 16e6, 16e6});
        assertThat(m.peakRate()).isEqualTo(3e6);
        ModelRun run = PlaybackModel.demand(m, 3e6);
        assertThat(run.runtime()).isCloseTo(20, within(1e-9));
        for (double t = 0; t <= 20; t += 0.5) {
            assertThat(run.playedAt(t)).isCloseTo(m.at(t), within(1e-3));
        }
        // slower than the peak: the 6 MB burst takes 3 s instead of 2
        assertThat(PlaybackModel.demand(m, 2e6).runtime()).isCloseTo(21, within(1e-9));
    }

    @Test
    void demandOnPieceStepsPaysEveryPiece() {
        DemandCurve m = DemandCurve.ofPieceFirstAccess(new double[] {1, 5, 5, 30}, new double[] {S, S, S, S});
        assertThat(m.total()).isEqualTo(4 * S);
        assertThat(m.duration()).isEqualTo(30);
        double r = 1e6;
        assertThat(PlaybackModel.demand(m, r).runtime()).isCloseTo(30 + 4 * S / r, within(1e-9));
    }

    @Test
    void profilePrefetchFillsTheBufferWhileTheVmThinks() {
        // 5 MB needed at once at t = 10, 1 MB/s: 10 s of buffering covers it, no stall
        DemandCurve late = DemandCurve.ofPieceFirstAccess(new double[] {10}, new double[] {5e6});
        assertThat(PlaybackModel.profile(late, 1e6).runtime()).isCloseTo(10, within(1e-9));
        // needed at t = 2: 2 MB buffered, 3 MB streamed while the VM stalls
        DemandCurve early = DemandCurve.ofPieceFirstAccess(new double[] {2}, new double[] {5e6});
        ModelRun run = PlaybackModel.profile(early, 1e6);
        assertThat(run.runtime()).isCloseTo(5, within(1e-9));
        assertThat(PlaybackModel.demand(early, 1e6).runtime()).isCloseTo(7, within(1e-9));
        // the buffer never holds more than is still to be played
        for (int i = 0; i < run.buffer().length; i++) {
            assertThat(run.buffer()[i]).isLessThanOrEqualTo(5e6 - run.played()[i] + 1e-6);
        }
    }

    @Test
    void profileBufferDrainsInsideASteepSegment() {
        // flat 4 s, then 8 MB over 2 s (4 MB/s) at r = 1 MB/s: 4 MB buffered lasts 4/3 s of the
        // segment, the remaining 2/3 s of M (8/3 MB) streams at 1 MB/s
        DemandCurve m = DemandCurve.of(new double[] {0, 4, 6}, new double[] {0, 0, 8e6});
        assertThat(PlaybackModel.profile(m, 1e6).runtime()).isCloseTo(4 + 4.0 / 3 + 8.0 / 3, within(1e-9));
    }

    @Test
    void modelOrdersTheModesAsThePaper() {
        double[] t = new double[100];
        double[] b = new double[100];
        for (int i = 0; i < 100; i++) {
            t[i] = 5 + i * 0.3;
            b[i] = S;
        }
        AnalyticModel model = new AnalyticModel(DemandCurve.ofPieceFirstAccess(t, b),
                ModelParameters.measured(ModelParameters.MBPS_100));
        assertThat(model.normalizedRuntime(Mode.LOCAL, 1)).isEqualTo(1);
        double previous = 0;
        for (int n : new int[] {1, 2, 4, 16, 64, 256}) {
            double csd = model.normalizedRuntime(Mode.CS_D, n);
            assertThat(csd).isGreaterThanOrEqualTo(previous);
            previous = csd;
            assertThat(model.normalizedRuntime(Mode.CS_P, n)).isLessThanOrEqualTo(csd);
            assertThat(model.normalizedRuntime(Mode.P2P_P, n)).isLessThanOrEqualTo(model.normalizedRuntime(Mode.P2P_D, n));
            if (n >= 4) {
                assertThat(model.normalizedRuntime(Mode.P2P_D, n)).isLessThan(csd);
            }
        }
        assertThat(model.normalizedRuntime(Mode.CS_D, 1)).isEqualTo(model.normalizedRuntime(Mode.P2P_D, 1));
    }

    @Test
    void probeMeasuresAPositiveServiceTime() throws Exception {
        ServiceTimeProbe.Result r = ServiceTimeProbe.measure(200, 0);
        assertThat(r.rtt()).isPositive().isLessThan(0.05);
        assertThat(r.firstBlock()).isGreaterThanOrEqualTo(r.rtt() * 0.5);
        assertThat(r.piece()).isGreaterThan(0);
    }
}
