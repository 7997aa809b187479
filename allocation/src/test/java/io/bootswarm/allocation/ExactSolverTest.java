package io.bootswarm.allocation;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ExactSolverTest {

    private static final AllocationSolver EXACT = Strategy.EXACT.solver();

    @Test
    void servesOnlyTheSwarmThatCannotMakeItOnItsPeers() {
        // a: R 100, P 20 (T = 5 on its own); b: R 300, P 10; u_s = 30
        // all to b: T_b = 300/40 = 7.5 > T_a = 5, and b can use all of it
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {100, 300},
                new double[] {20, 10}, 30);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.serverRateArray()).containsExactly(0, 30);
        assertThat(plan.maxRemainingTime()).isCloseTo(7.5, within(1e-12));
        assertThat(plan.remainingTime(0)).isCloseTo(5, within(1e-12));
        assertThat(plan.lowerBound()).isEqualTo(plan.maxRemainingTime());
        assertThat(plan.relativeGap()).isZero();
        // dual: b is the whole bottleneck; price = −dM/du_s = 300/(10 + u_s)² = 0.1875
        assertThat(plan.dualWeight(0)).isZero();
        assertThat(plan.dualWeight(1)).isEqualTo(1);
        assertThat(plan.bandwidthPrice()).hasValueCloseTo(0.1875, within(1e-12));
    }

    @Test
    void equalisesTimesWhenEverySwarmNeedsTheSeed() {
        // no peer upload: u_i ∝ R_i, every T = ΣR/u_s = 600/60 = 10
        AllocationProblem p = AllocationProblem.of(List.of("a", "b", "c"), new double[] {100, 200, 300},
                new double[] {0, 0, 0}, 60);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.serverRate(0)).isCloseTo(10, within(1e-9));
        assertThat(plan.serverRate(1)).isCloseTo(20, within(1e-9));
        assertThat(plan.serverRate(2)).isCloseTo(30, within(1e-9));
        for (int i = 0; i < 3; i++) {
            assertThat(plan.remainingTime(i)).isCloseTo(10, within(1e-9));
        }
        assertThat(plan.dualWeight(2)).isCloseTo(0.5, within(1e-12));
    }

    @Test
    void tiesSplitEqually() {
        AllocationProblem p = AllocationProblem.of(List.of("a", "b", "c"), new double[] {50, 50, 50},
                new double[] {5, 5, 5}, 30);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.serverRate(0)).isCloseTo(10, within(1e-9));
        assertThat(plan.serverRate(1)).isCloseTo(10, within(1e-9));
        assertThat(plan.serverRate(2)).isCloseTo(10, within(1e-9));
        assertThat(plan.maxRemainingTime()).isCloseTo(50.0 / 15, within(1e-12));
    }

    @Test
    void aSingleSwarmGetsEverything() {
        AllocationProblem p = AllocationProblem.of(List.of("a"), new double[] {50}, new double[] {5}, 20);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.serverRateArray()).containsExactly(20);
        assertThat(plan.maxRemainingTime()).isCloseTo(2, within(1e-15));
    }

    @Test
    void finishedSwarmsGetNothingAndTakeNoTime() {
        AllocationProblem p = AllocationProblem.of(List.of("done", "a", "b"), new double[] {0, 100, 300},
                new double[] {0, 0, 0}, 40);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.serverRate(0)).isZero();
        assertThat(plan.remainingTime(0)).isZero();
        assertThat(plan.serverRate(1)).isCloseTo(10, within(1e-9));
        assertThat(plan.maxRemainingTime()).isCloseTo(10, within(1e-12));
        assertThat(plan.dualWeight(0)).isZero();
    }

    @Test
    void withoutSeedUploadTheTimeIsThePeersOwnAndInfiniteForASwarmWithoutPeers() {
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {10, 20}, new double[] {1, 4}, 0);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.serverRateArray()).containsExactly(0, 0);
        assertThat(plan.maxRemainingTime()).isEqualTo(10);
        assertThat(plan.bounded()).isTrue();

        AllocationProblem starved = AllocationProblem.of(List.of("a", "b"), new double[] {10, 20},
                new double[] {1, 0}, 0);
        for (Strategy s : Strategy.values()) {
            AllocationSolution q = s.solver().solve(starved);
            assertThat(q.serverRateArray()).as(s.name()).containsExactly(0, 0);
            assertThat(q.maxRemainingTime()).as(s.name()).isEqualTo(Double.POSITIVE_INFINITY);
            assertThat(q.remainingTime(0)).as(s.name()).isEqualTo(10);
            assertThat(q.starvedSwarms()).as(s.name()).isEqualTo(1);
            assertThat(q.relativeGap()).as(s.name()).isNotNaN();
            assertThat(q.lowerBound()).as(s.name()).isNotNaN();
        }
    }

    @Test
    void aHugeSeedShrinksTheTimeTowardsZeroWithoutLosingTheSum() {
        AllocationProblem p = AllocationProblem.of(List.of("a", "b"), new double[] {1, 2}, new double[] {1, 1}, 1e12);
        AllocationSolution plan = EXACT.solve(p);
        assertThat(plan.maxRemainingTime()).isCloseTo(3 / (1e12 + 2), within(1e-24));
        assertThat(plan.remainingTime(0)).isCloseTo(plan.remainingTime(1), within(1e-24));
        assertThat(plan.allocationResidual()).isCloseTo(0, within(1e-3));
        assertThat(plan.serverRate(0)).isPositive();
    }

    @Test
    void newtonBreakpointSearchAndBisectionAgree() {
        for (long seed = 1; seed <= 20; seed++) {
            for (double share : new double[] {0.01, 0.3, 3, 100}) {
                AllocationProblem p = SyntheticProblems.random(2000, share, 2.0, seed);
                double newton = EXACT.solve(p).maxRemainingTime();
                double search = 1 / ExactSolver.breakpointSearch(p.remaining(), p.peerUpload(), p.serverUploadRate());
                double bisect = bisection(p);
                assertThat(search).as("seed %d share %s", seed, share).isCloseTo(newton, within(1e-12 * newton));
                assertThat(bisect).as("seed %d share %s", seed, share).isCloseTo(newton, within(1e-9 * newton));
            }
        }
    }

    @Test
    void theOptimumSatisfiesItsOptimalityConditions() {
        for (long seed = 1; seed <= 5; seed++) {
            AllocationProblem p = SyntheticProblems.random(5000, 0.5, 1.5, seed);
            AllocationSolution plan = EXACT.solve(p);
            double m = plan.maxRemainingTime();
            double dual = 0;
            for (int i = 0; i < p.size(); i++) {
                if (plan.serverRate(i) > 0) {
                    // served swarms finish exactly at M
                    assertThat(plan.remainingTime(i)).isCloseTo(m, within(1e-9 * m));
                } else if (p.remainingBytes(i) > 0) {
                    // the others finish by M on their peers alone
                    assertThat(p.remainingBytes(i) / p.peerUploadRate(i)).isLessThanOrEqualTo(m * (1 + 1e-12));
                }
                dual += plan.dualWeight(i);
            }
            assertThat(dual).isCloseTo(1, within(1e-9));
            assertThat(Math.abs(plan.allocationResidual())).isLessThanOrEqualTo(1e-9 * p.serverUploadRate());
        }
    }

    @Test
    void theBandwidthPriceIsTheDerivativeOfTheOptimum() {
        AllocationProblem p = SyntheticProblems.random(3000, 0.5, 1.5, 9);
        AllocationSolution plan = EXACT.solve(p);
        double h = p.serverUploadRate() * 1e-6;
        double up = EXACT.solve(p.withServerUploadRate(p.serverUploadRate() + h)).maxRemainingTime();
        double down = EXACT.solve(p.withServerUploadRate(p.serverUploadRate() - h)).maxRemainingTime();
        double derivative = (down - up) / (2 * h);
        assertThat(plan.bandwidthPrice().orElseThrow()).isCloseTo(derivative, within(1e-4 * derivative));
    }

    @Test
    void newtonNeedsOnlyAHandfulOfPasses() {
        int most = 0;
        for (long seed = 1; seed <= 10; seed++) {
            for (double share : new double[] {0.01, 0.5, 5}) {
                most = Math.max(most, EXACT.solve(SyntheticProblems.random(10_000, share, 3.0, seed)).iterations());
            }
        }
        assertThat(most).isLessThanOrEqualTo(12);
    }

    /** M by bisection on need(M) = Σ max(0, R/M − P) = u_s, straight from the definition. */
    static double bisection(AllocationProblem p) {
        double lo = 0;
        double hi = 1;
        while (need(p, hi) > p.serverUploadRate()) {
            hi *= 2;
        }
        for (int i = 0; i < 200; i++) {
            double mid = (lo + hi) / 2;
            if (mid == lo || mid == hi) {
                break;
            }
            if (need(p, mid) > p.serverUploadRate()) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return hi;
    }

    private static double need(AllocationProblem p, double m) {
        double s = 0;
        for (int i = 0; i < p.size(); i++) {
            s += Math.max(0, p.remainingBytes(i) / m - p.peerUploadRate(i));
        }
        return s;
    }

    @Test
    void isDeterministicAndFastEnoughForATest() {
        AllocationProblem p = SyntheticProblems.random(100_000, 4);
        AllocationSolution a = EXACT.solve(p);
        AllocationSolution b = EXACT.solve(p);
        assertThat(a.serverRateArray()).containsExactly(b.serverRateArray());
        assertThat(a.solveTime()).isLessThan(java.time.Duration.ofSeconds(1));
    }
}
