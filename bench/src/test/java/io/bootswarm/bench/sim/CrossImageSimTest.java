package io.bootswarm.bench.sim;

import io.bootswarm.allocation.Strategy;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CrossImageSimTest {

    @Test
    void imagesShareAboutTheRatioOfTheirChunks() {
        CrossImageSim.Setting s = CrossImageSim.Setting.paper(0.5, CrossImageSim.Popularity.UNIFORM, 5, 1);
        double shared = 0;
        int pairs = 0;
        for (int seed = 0; seed < 50; seed++) {
            int[][] c = CrossImageSim.chunks(s, new SplittableRandom(seed));
            for (int a = 0; a < c.length; a++) {
                for (int b = a + 1; b < c.length; b++) {
                    int common = 0;
                    for (int x : c[a]) {
                        for (int y : c[b]) {
                            common += x == y ? 1 : 0;
                        }
                    }
                    shared += common / 16.0;
                    pairs++;
                }
            }
        }
        assertThat(shared / pairs).isCloseTo(0.5, within(0.05));
    }

    @Test
    void everyRequestIsServedTheSameWayForTheSameSeed() {
        CrossImageSim.Setting s = CrossImageSim.Setting.paper(0.4, CrossImageSim.Popularity.ZIPF, 5, 3).withHorizon(60);
        for (Strategy st : new Strategy[] {Strategy.ISO, Strategy.CROSS_EQU, Strategy.CROSS_PROP, Strategy.CROSS_OPT}) {
            CrossImageSim.Result a = CrossImageSim.run(s, st);
            CrossImageSim.Result b = CrossImageSim.run(s, st);
            assertThat(a.vms()).as(st.label()).isEqualTo(b.vms()).isGreaterThan(200);
            assertThat(a.mean()).isEqualTo(b.mean()).isPositive();
            // a VM needs 16 × 32 MB; nobody gets it faster than the whole seed alone could send it
            assertThat(a.mean()).isGreaterThan(16 * 32e6 / 640e6 * 0.99);
        }
        // all strategies face the same requests
        assertThat(CrossImageSim.run(s, Strategy.ISO).vms()).isEqualTo(CrossImageSim.run(s, Strategy.CROSS_OPT).vms());
    }
}
