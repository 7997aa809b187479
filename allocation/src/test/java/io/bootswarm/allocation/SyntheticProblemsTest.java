package io.bootswarm.allocation;

import io.bootswarm.allocation.SyntheticProblems.PaperSetting;
import io.bootswarm.allocation.SyntheticProblems.Popularity;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class SyntheticProblemsTest {

    @Test
    void isolatedSwarmsAreOnePerImageAndChunkLabelledWithTheImage() {
        AllocationProblem p = SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.UNIFORM, 1).withCrossImage(false));
        assertThat(p.size()).isEqualTo(160);
        assertThat(p.imageCount()).isEqualTo(10);
        assertThat(p.image(17)).isEqualTo("image-1");
        assertThat(p.serverUploadRate()).isEqualTo(640e6);
    }

    @Test
    void crossImageSwarmsShareChunksAtTheRequestedRatio() {
        for (double ratio : new double[] {0.2, 0.5, 0.9}) {
            double shared = 0;
            int seeds = 20;
            for (long seed = 1; seed <= seeds; seed++) {
                AllocationProblem p = SyntheticProblems.paper(PaperSetting.of(ratio, Popularity.UNIFORM, seed));
                // 10 images × 16 chunks, of which the distinct ones form the swarms
                assertThat(p.size()).isLessThan(160);
                shared += 160 - p.size();
            }
            // fewer distinct chunks the more the images share
            assertThat(shared / seeds).as("ratio " + ratio).isGreaterThan(ratio * 60);
        }
    }

    @Test
    void zipfPopularityFavoursTheFirstImages() {
        PaperSetting s = PaperSetting.of(0.2, Popularity.ZIPF, 4).withCrossImage(false).withPeers(2000);
        AllocationProblem p = SyntheticProblems.paper(s);
        Map<String, Double> bytes = new HashMap<>();
        for (int i = 0; i < p.size(); i++) {
            bytes.merge(p.image(i), p.remainingBytes(i), Double::sum);
        }
        // Zipf(1): image 0 gets 1/H_10 ≈ 34 % of the peers, image 9 ≈ 3.4 %
        double total = p.totalRemainingBytes();
        assertThat(bytes.get("image-0") / total).isCloseTo(0.341, within(0.03));
        assertThat(bytes.get("image-9") / total).isCloseTo(0.034, within(0.01));
        // each peer misses about half of its image's 16 × 32 MB
        assertThat(total / 2000).isCloseTo(16 * 32e6 * 0.5, within(16 * 32e6 * 0.03));
    }

    @Test
    void isDeterministicForASeed() {
        assertThat(SyntheticProblems.random(500, 7)).isEqualTo(SyntheticProblems.random(500, 7));
        assertThat(SyntheticProblems.paper(PaperSetting.of(0.4, Popularity.ZIPF, 3)))
                .isEqualTo(SyntheticProblems.paper(PaperSetting.of(0.4, Popularity.ZIPF, 3)));
    }
}
