package io.bootswarm.allocation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** ISO, Cross-Equ and Cross-Prop on problems small enough to compute by hand. */
class SplitStrategiesTest {

    /**
     * Three swarms, u_s = 90: a (R 100, P 10, 4 peers), b (R 300, P 20, 1 peer), c (R 0: done).
     */
    private static AllocationProblem three() {
        return AllocationProblem.of(List.of("a", "b", "c"), new double[] {100, 300, 0}, new double[] {10, 20, 5},
                new double[] {4, 1, 7}, 90);
    }

    @Test
    void crossEquSplitsEquallyOverUnfinishedSwarms() {
        AllocationSolution plan = Strategy.CROSS_EQU.solver().solve(three());
        assertThat(plan.serverRateArray()).containsExactly(45, 45, 0);
        assertThat(plan.remainingTime(0)).isCloseTo(100.0 / 55, within(1e-12));
        assertThat(plan.remainingTime(1)).isCloseTo(300.0 / 65, within(1e-12));
        assertThat(plan.remainingTime(2)).isZero();
        assertThat(plan.maxRemainingTime()).isCloseTo(300.0 / 65, within(1e-12));
        assertThat(plan.strategy()).isEqualTo(Strategy.CROSS_EQU);
        assertThat(plan.iterations()).isZero();
        assertThat(plan.hasDual()).isFalse();
        assertThat(plan.bandwidthPrice()).isEmpty();
        // pooled bound over unfinished swarms: ΣR/(ΣP+u_s) = 400/120; single-swarm: 300/110
        assertThat(plan.lowerBound()).isCloseTo(400.0 / 120, within(1e-12));
    }

    @Test
    void crossPropSplitsByPeersStillDownloading() {
        AllocationSolution plan = Strategy.CROSS_PROP.solver().solve(three());
        // popularity 4 : 1 over unfinished swarms (c's 7 peers have nothing left to get)
        assertThat(plan.serverRate(0)).isCloseTo(72, within(1e-12));
        assertThat(plan.serverRate(1)).isCloseTo(18, within(1e-12));
        assertThat(plan.serverRate(2)).isZero();
        assertThat(plan.maxRemainingTime()).isCloseTo(300.0 / 38, within(1e-12));
    }

    @Test
    void crossPropFallsBackToRemainingBytesWithoutPopularity() {
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {100, 300},
                new double[] {0, 0}, new double[] {0, 0}, 40);
        AllocationSolution plan = Strategy.CROSS_PROP.solver().solve(p);
        assertThat(plan.serverRateArray()).containsExactly(10, 30);
        assertThat(plan.maxRemainingTime()).isCloseTo(10, within(1e-12));
    }

    @Test
    void isoSplitsEquallyPerImageThenPerSwarmOfTheImage() {
        // image A has swarms a1, a2 (a3 finished), image B has b1; u_s = 120
        AllocationProblem p = AllocationProblem.of(List.of("a1", "a2", "a3", "b1"),
                new double[] {10, 10, 0, 10}, new double[] {1, 1, 1, 1}, 120)
                .withImages(List.of("A", "A", "A", "B"));
        AllocationSolution iso = Strategy.ISO.solver().solve(p);
        assertThat(iso.serverRateArray()).containsExactly(30, 30, 0, 60);
        AllocationSolution equ = Strategy.CROSS_EQU.solver().solve(p);
        assertThat(equ.serverRateArray()).containsExactly(40, 40, 0, 40);
        // unlabelled, every swarm is its own image: ISO is Cross-Equ
        AllocationProblem unlabelled = AllocationProblem.of(p.swarmIds(), new double[] {10, 10, 0, 10},
                new double[] {1, 1, 1, 1}, 120);
        assertThat(Strategy.ISO.solver().solve(unlabelled).serverRateArray()).containsExactly(40, 40, 0, 40);
    }

    @Test
    void aStarvedSwarmMakesAnInfiniteTimeNotANaN() {
        // b has bytes left, no peers uploading and, under Cross-Prop, no popularity: it never finishes
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {100, 50},
                new double[] {10, 0}, new double[] {3, 0}, 30);
        AllocationSolution plan = Strategy.CROSS_PROP.solver().solve(p);
        assertThat(plan.serverRateArray()).containsExactly(30, 0);
        assertThat(plan.remainingTime(1)).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(plan.maxRemainingTime()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(plan.bounded()).isFalse();
        assertThat(plan.starvedSwarms()).isEqualTo(1);
        assertThat(plan.relativeGap()).isEqualTo(1);
        assertThat(plan.toString()).doesNotContain("NaN");
    }

    @Test
    void whenEverythingIsDoneTheSplitIsEqualAndTimeZero() {
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {0, 0}, new double[] {1, 0}, 10);
        for (Strategy s : Strategy.values()) {
            AllocationSolution plan = s.solver().solve(p);
            assertThat(plan.serverRateArray()).as(s.name()).containsExactly(5, 5);
            assertThat(plan.maxRemainingTime()).as(s.name()).isZero();
            assertThat(plan.relativeGap()).as(s.name()).isZero();
        }
    }

    @Test
    void aGivenSplitCanBeEvaluatedAndIsChecked() {
        AllocationProblem p = three();
        AllocationSolution plan = AllocationSolution.of(p, new double[] {60, 30, 0}, Strategy.CROSS_EQU);
        assertThat(plan.maxRemainingTime()).isCloseTo(300.0 / 50, within(1e-12));
        assertThat(plan.allocations()).first()
                .isEqualTo(new AllocationSolution.SwarmAllocation("a", 60, 100.0 / 70));
        assertThat(plan.serverRateOf("b")).hasValue(30);
        assertThat(plan.serverRateOf("x")).isEmpty();
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> AllocationSolution.of(p, new double[] {60, 20, 0}, Strategy.CROSS_EQU))
                .hasMessageContaining("sum to 80.0, not to u_s = 90.0");
        org.assertj.core.api.Assertions.assertThatThrownBy(
                () -> AllocationSolution.of(p, new double[] {100, -10, 0}, Strategy.CROSS_EQU))
                .hasMessageContaining("server rate of swarm 'b'");
    }
}
