package io.bootswarm.bench.sim;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class FlowNetworkTest {

    private static final double S = 256 * 1024;

    @Test
    void aLoneFlowRunsAtTheSmallerOfItsTwoLinks() {
        FlowNetwork net = new FlowNetwork(new double[] {10e6, 1e6}, new double[] {10e6, 4e6}, 1);
        FlowNetwork.Flow f = net.start(0, 0, 1, S, 1, null);
        assertThat(net.rate(f)).isEqualTo(4e6);
        assertThat(net.nextCompletion(0)).isCloseTo(S / 4e6, within(1e-12));
        assertThat(net.complete(net.nextCompletion(0), 0)).containsExactly(f);
        assertThat(net.uploaded(0)).isEqualTo(S);
        assertThat(net.downloaded(1)).isEqualTo(S);
    }

    @Test
    void flowsShareAnUplinkByWeightAndEndTogetherWhenEqual() {
        // a seed with 3 receivers: crowded (share 1e6/3 below any downlink's 8e6/8)
        FlowNetwork net = new FlowNetwork(new double[] {1e6, 1e7, 1e7, 1e7}, new double[] {8e6, 8e6, 8e6, 8e6}, 8);
        List<FlowNetwork.Flow> fs = new ArrayList<>();
        for (int d = 1; d <= 3; d++) {
            fs.add(net.start(0, 0, d, S, 1, null));
        }
        assertThat(net.isCrowded(0)).isTrue();
        double t = net.nextCompletion(0);
        assertThat(t).isCloseTo(3 * S / 1e6, within(1e-9));
        assertThat(net.complete(t, 0)).hasSize(3);
        // weights 3:1 share 3/4 : 1/4 until the heavier one ends, then the light one runs alone
        FlowNetwork.Flow heavy = net.start(t, 0, 1, S, 3, null);
        FlowNetwork.Flow light = net.start(t, 0, 2, S, 1, null);
        assertThat(net.rate(heavy)).isCloseTo(0.75e6, within(1e-6));
        assertThat(net.rate(light)).isCloseTo(0.25e6, within(1e-6));
        double t1 = net.nextCompletion(0);
        assertThat(t1 - t).isCloseTo(S / 0.75e6, within(1e-9));
        assertThat(net.complete(t1, 0)).containsExactly(heavy);
        double t2 = net.nextCompletion(0);
        assertThat(t2 - t1).isCloseTo((S - 0.25e6 * (t1 - t)) / 1e6, within(1e-9));
    }

    @Test
    void ratesNeverExceedCapacitiesAndBytesAreConserved() {
        SplittableRandom rnd = new SplittableRandom(7);
        int nodes = 6;
        double[] up = new double[nodes];
        double[] down = new double[nodes];
        for (int v = 0; v < nodes; v++) {
            up[v] = v == 0 ? 5e6 : 1e6 + rnd.nextDouble() * 2e6;
            down[v] = 1e6 + rnd.nextDouble() * 2e6;
        }
        double maxWeight = 12;
        FlowNetwork net = new FlowNetwork(up, down, maxWeight);
        double[] wIn = new double[nodes];
        List<FlowNetwork.Flow> live = new ArrayList<>();
        double now = 0;
        double started = 0;
        int crowdedSeen = 0;
        for (int step = 0; step < 3000; step++) {
            if (rnd.nextInt(3) > 0) {
                int src = rnd.nextInt(nodes);
                int dst = rnd.nextInt(nodes);
                double w = rnd.nextBoolean() ? 1 : 8;
                if (src != dst && wIn[dst] + w <= maxWeight) {
                    live.add(net.start(now, src, dst, 64e3 + rnd.nextInt(200_000), w, null));
                    wIn[dst] += w;
                    started += live.getLast().bytes;
                }
            } else if (!live.isEmpty() && rnd.nextInt(4) == 0) {
                FlowNetwork.Flow f = live.get(rnd.nextInt(live.size()));
                double to = f.weight() == 1 ? 8 : 1;
                if (wIn[f.dst] - f.weight() + to <= maxWeight) {
                    wIn[f.dst] += to - f.weight();
                    net.reweight(now, f, to);
                }
            } else {
                double t = net.nextCompletion();
                if (t < Double.POSITIVE_INFINITY) {
                    now = t;
                    for (int u = 0; u < nodes; u++) {
                        for (FlowNetwork.Flow f : net.complete(now, u)) {
                            live.remove(f);
                            wIn[f.dst] -= f.weight();
                        }
                    }
                }
            }
            for (int v = 0; v < nodes; v++) {
                assertThat(net.outRate(v)).isLessThanOrEqualTo(up[v] * (1 + 1e-9));
                assertThat(net.inRate(v)).isLessThanOrEqualTo(down[v] * (1 + 1e-9));
                crowdedSeen += net.isCrowded(v) ? 1 : 0;
            }
        }
        while (net.nextCompletion() < Double.POSITIVE_INFINITY) {
            now = net.nextCompletion();
            for (int u = 0; u < nodes; u++) {
                live.removeAll(net.complete(now, u));
            }
        }
        assertThat(live).isEmpty();
        assertThat(crowdedSeen).as("both ways of rating were exercised").isPositive();
        double upSum = 0;
        double downSum = 0;
        for (int v = 0; v < nodes; v++) {
            upSum += net.uploaded(v);
            downSum += net.downloaded(v);
        }
        assertThat(upSum).isCloseTo(started, within(1e-3));
        assertThat(downSum).isCloseTo(started, within(1e-3));
    }
}
