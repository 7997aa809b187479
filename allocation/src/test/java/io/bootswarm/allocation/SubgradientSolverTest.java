package io.bootswarm.allocation;

import io.bootswarm.allocation.SubgradientSolver.ColdStart;
import io.bootswarm.allocation.SubgradientSolver.PriceUpdate;
import io.bootswarm.allocation.SubgradientSolver.Settings;
import io.bootswarm.allocation.SubgradientSolver.StepRule;
import io.bootswarm.allocation.SyntheticProblems.PaperSetting;
import io.bootswarm.allocation.SyntheticProblems.Popularity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Cross-Opt (the subgradient method) against the exact optimum. */
class SubgradientSolverTest {

    private static final SubgradientSolver CROSS_OPT = SubgradientSolver.DEFAULT;

    /** (M − M*)/M*: how much later than optimal the slowest swarm finishes. */
    private static double error(AllocationSolution plan, AllocationSolution exact) {
        return (plan.maxRemainingTime() - exact.maxRemainingTime()) / exact.maxRemainingTime();
    }

    /** Within 1 % of optimal, and the plan's lower bound is a true lower bound. */
    private static void assertNearOptimal(AllocationProblem p, AllocationSolution plan, String what) {
        AllocationSolution exact = ExactSolver.INSTANCE.solve(p);
        assertThat(error(plan, exact)).as(what + ": error vs exact").isLessThanOrEqualTo(0.01);
        assertThat(error(plan, exact)).as(what + ": no better than optimal").isGreaterThanOrEqualTo(-1e-12);
        assertThat(plan.lowerBound()).as(what + ": lower bound")
                .isLessThanOrEqualTo(exact.maxRemainingTime() * (1 + 1e-12));
        assertFeasible(p, plan, what);
    }

    static void assertFeasible(AllocationProblem p, AllocationSolution plan, String what) {
        double sum = 0;
        for (int i = 0; i < p.size(); i++) {
            assertThat(plan.serverRate(i)).as(what + ": u_s^i ≥ 0").isGreaterThanOrEqualTo(0);
            sum += plan.serverRate(i);
        }
        assertThat(sum).as(what + ": Σ u_s^i = u_s").isCloseTo(p.serverUploadRate(),
                within(1e-9 * Math.max(1, p.serverUploadRate())));
    }

    @Test
    void solvesTheHandCasesToTheToleranceItCertifies() {
        AllocationProblem two = AllocationProblem.of(List.of("a", "b"), new double[] {100, 300},
                new double[] {20, 10}, 30);
        AllocationSolution plan = CROSS_OPT.solve(two);
        // optimum: all 30 to b, M* = 7.5 (see ExactSolverTest)
        assertThat(plan.maxRemainingTime()).isBetween(7.5, 7.5 * 1.005);
        assertThat(plan.serverRate(1)).isGreaterThan(29);
        assertThat(plan.lowerBound()).isBetween(7.5 / 1.005, 7.5);
        assertThat(plan.relativeGap()).isLessThanOrEqualTo(0.005);
        assertThat(plan.strategy()).isEqualTo(Strategy.CROSS_OPT);
        assertThat(plan.iterations()).isPositive();

        AllocationProblem three = AllocationProblem.of(List.of("a", "b", "c"), new double[] {100, 200, 300},
                new double[] {0, 0, 0}, 60);
        AllocationSolution p3 = CROSS_OPT.solve(three);
        assertThat(p3.maxRemainingTime()).isBetween(10.0, 10.05);
        assertThat(p3.serverRate(2)).isCloseTo(30, within(0.3));
        double dual = 0;
        for (int i = 0; i < 3; i++) {
            dual += p3.dualWeight(i);
        }
        assertThat(dual).isCloseTo(1, within(1e-12));
        assertThat(p3.bandwidthPrice()).isPresent();
    }

    @Test
    void withinOnePercentOnThePapersSetting() {
        // 10 images × 16 chunks, Zipf(1) and uniform popularity, common-chunk ratio 20–90 % (§V)
        double worst = 0;
        for (Popularity pop : Popularity.values()) {
            for (double ratio : new double[] {0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9}) {
                for (long seed = 1; seed <= 3; seed++) {
                    for (int peers : new int[] {30, 100, 300}) {
                        AllocationProblem p = SyntheticProblems.paper(PaperSetting.of(ratio, pop, seed).withPeers(peers));
                        AllocationSolution plan = CROSS_OPT.solve(p);
                        String what = pop + " ratio " + ratio + " seed " + seed + " peers " + peers;
                        assertNearOptimal(p, plan, what);
                        worst = Math.max(worst, error(plan, ExactSolver.INSTANCE.solve(p)));
                    }
                }
            }
        }
        assertThat(worst).isLessThanOrEqualTo(0.005);
    }

    @Test
    void withinOnePercentOnRandomProblemsOfAThousandSwarms() {
        for (double share : new double[] {0.01, 0.05, 0.5, 5, 50}) {
            for (double spread : new double[] {0.5, 1.5, 3}) {
                for (long seed = 1; seed <= 3; seed++) {
                    AllocationProblem p = SyntheticProblems.random(1000, share, spread, seed);
                    assertNearOptimal(p, CROSS_OPT.solve(p), "share " + share + " spread " + spread + " seed " + seed);
                }
            }
        }
    }

    @Test
    void withinOnePercentOnAHundredThousandSwarms() {
        for (double share : new double[] {0.05, 0.5, 5}) {
            AllocationProblem p = SyntheticProblems.random(100_000, share, 1.5, 11);
            AllocationSolution plan = CROSS_OPT.solve(p);
            assertNearOptimal(p, plan, "10^5 share " + share);
            assertThat(plan.iterations()).as("iterations").isLessThan(40);
        }
    }

    @ParameterizedTest
    @EnumSource(PriceUpdate.class)
    void theAlternativePriceUpdateConvergesToo(PriceUpdate update) {
        SubgradientSolver solver = new SubgradientSolver(Settings.DEFAULT.withPriceUpdate(update));
        for (long seed = 1; seed <= 3; seed++) {
            AllocationProblem p = SyntheticProblems.random(1000, 0.5, 1.5, seed);
            assertNearOptimal(p, solver.solve(p), update + " seed " + seed);
        }
    }

    @Test
    void theScaledEuclideanStepConvergesOnModerateSpreads() {
        SubgradientSolver solver = new SubgradientSolver(Settings.DEFAULT.withStepRule(StepRule.SCALED));
        for (long seed = 1; seed <= 3; seed++) {
            AllocationProblem p = SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.ZIPF, seed));
            assertNearOptimal(p, solver.solve(p), "scaled, paper seed " + seed);
            AllocationProblem r = SyntheticProblems.random(1000, 0.5, 1.5, seed);
            assertNearOptimal(r, solver.solve(r), "scaled, random seed " + seed);
        }
    }

    @Test
    void aTighterToleranceGetsCloser() {
        AllocationProblem p = SyntheticProblems.random(1000, 0.5, 1.5, 5);
        AllocationSolution exact = ExactSolver.INSTANCE.solve(p);
        AllocationSolution loose = new SubgradientSolver(Settings.DEFAULT.withTolerance(0.01)).solve(p);
        AllocationSolution tight = new SubgradientSolver(Settings.DEFAULT.withTolerance(1e-4)).solve(p);
        assertThat(error(tight, exact)).isLessThanOrEqualTo(1e-4);
        assertThat(tight.relativeGap()).isLessThanOrEqualTo(1e-4);
        assertThat(tight.iterations()).isGreaterThan(loose.iterations());
    }

    @Test
    void stopsAtTheIterationCapAndReportsTheGapItReached() {
        AllocationProblem p = SyntheticProblems.random(1000, 0.5, 1.5, 5);
        AllocationSolution plan = new SubgradientSolver(Settings.DEFAULT.withMaxIterations(2)).solve(p);
        assertThat(plan.iterations()).isEqualTo(2);
        assertThat(plan.relativeGap()).isGreaterThan(0.005);
        assertThat(plan.lowerBound()).isLessThanOrEqualTo(ExactSolver.INSTANCE.solve(p).maxRemainingTime());
        assertFeasible(p, plan, "capped");
    }

    @Test
    void aWarmStartAfterSmallChangesNeedsFewerIterations() {
        List<AllocationProblem> starts = new ArrayList<>();
        starts.add(SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.ZIPF, 1)));
        starts.add(SyntheticProblems.paper(PaperSetting.of(0.3, Popularity.UNIFORM, 2)));
        starts.add(SyntheticProblems.random(1000, 3));
        starts.add(SyntheticProblems.random(100_000, 3));
        for (AllocationProblem start : starts) {
            SplittableRandom rnd = new SplittableRandom(17);
            AllocationProblem p = start;
            AllocationSolution previous = CROSS_OPT.solve(p);
            int cold = 0;
            int warm = 0;
            int periods = 8;
            for (int t = 0; t < periods; t++) {
                p = drift(p, rnd);
                AllocationSolution c = CROSS_OPT.solve(p);
                AllocationSolution w = CROSS_OPT.solve(p, previous);
                assertNearOptimal(p, w, "warm, " + p.size() + " swarms, period " + t);
                cold += c.iterations();
                warm += w.iterations();
                previous = w;
            }
            assertThat(warm).as("warm vs cold iterations, %d swarms", start.size()).isLessThan(cold);
            assertThat(warm).as("warm iterations per period, %d swarms", start.size()).isLessThanOrEqualTo(6 * periods);
        }
    }

    @Test
    void warmStartsFromPlansOfOtherStrategiesAndOtherSwarms() {
        AllocationProblem p = SyntheticProblems.random(2000, 0.5, 1.5, 8);
        AllocationSolution exact = ExactSolver.INSTANCE.solve(p);
        // from the exact dual (mixed with 10 % of the cold start): fewer iterations than cold
        AllocationSolution fromExact = CROSS_OPT.solve(p, exact);
        assertNearOptimal(p, fromExact, "from exact");
        assertThat(fromExact.iterations()).isLessThan(CROSS_OPT.solve(p).iterations());
        // from a split without a dual (KKT reconstruction)
        AllocationSolution fromProp = CROSS_OPT.solve(p, Strategy.CROSS_PROP.solver().solve(p));
        assertNearOptimal(p, fromProp, "from cross-prop");
        // from a plan over other swarms: half of them gone, new ones arrived
        AllocationProblem other = SyntheticProblems.random(2000, 0.5, 1.5, 9);
        List<String> ids = new ArrayList<>();
        double[] r = new double[2000];
        double[] u = new double[2000];
        for (int i = 0; i < 2000; i++) {
            ids.add(i < 1000 ? p.swarmId(i) : "new-" + i);
            r[i] = i < 1000 ? p.remainingBytes(i) : other.remainingBytes(i);
            u[i] = i < 1000 ? p.peerUploadRate(i) : other.peerUploadRate(i);
        }
        AllocationProblem mixed = AllocationProblem.of(ids, r, u, p.serverUploadRate());
        assertNearOptimal(mixed, CROSS_OPT.solve(mixed, CROSS_OPT.solve(p)), "from other swarms");
        // from a plan with no swarm in common: a cold start
        AllocationProblem renamed = AllocationProblem.of(ids.stream().map(s -> "x" + s).toList(), r, u,
                p.serverUploadRate());
        AllocationSolution unrelated = CROSS_OPT.solve(renamed, exact);
        assertThat(unrelated.iterations()).isEqualTo(CROSS_OPT.solve(renamed).iterations());
    }

    @Test
    void edgeCases() {
        // single swarm: everything to it, exact at once
        AllocationProblem one = AllocationProblem.of(List.of("a"), new double[] {50}, new double[] {5}, 20);
        AllocationSolution p1 = CROSS_OPT.solve(one);
        assertThat(p1.serverRateArray()).containsExactly(20);
        assertThat(p1.maxRemainingTime()).isCloseTo(2, within(1e-12));
        assertThat(p1.iterations()).isEqualTo(1);
        // swarms without peer upload are always served
        AllocationProblem noPeers = AllocationProblem.of(List.of("a", "b", "c"), new double[] {10, 20, 30},
                new double[] {0, 0, 5}, 10);
        AllocationSolution p2 = CROSS_OPT.solve(noPeers);
        assertThat(p2.bounded()).isTrue();
        assertNearOptimal(noPeers, p2, "no peers");
        // no seed upload: nothing to decide
        AllocationProblem none = noPeers.withServerUploadRate(0);
        AllocationSolution p3 = CROSS_OPT.solve(none);
        assertThat(p3.iterations()).isZero();
        assertThat(p3.maxRemainingTime()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(p3.starvedSwarms()).isEqualTo(2);
        // a huge seed
        AllocationProblem huge = noPeers.withServerUploadRate(1e15);
        assertNearOptimal(huge, CROSS_OPT.solve(huge), "huge seed");
        // ties
        AllocationProblem ties = AllocationProblem.of(List.of("a", "b", "c", "d"), new double[] {7, 7, 7, 7},
                new double[] {1, 1, 1, 1}, 8);
        AllocationSolution p4 = CROSS_OPT.solve(ties);
        assertThat(p4.serverRateArray()).containsExactly(new double[] {2, 2, 2, 2}, within(1e-9));
    }

    @Test
    void settingsAreValidated() {
        Settings d = Settings.DEFAULT;
        assertThatThrownBy(() -> d.withTolerance(0)).hasMessageContaining("tolerance");
        assertThatThrownBy(() -> d.withTolerance(Double.NaN)).hasMessageContaining("tolerance");
        assertThatThrownBy(() -> d.withMaxIterations(0)).hasMessageContaining("maxIterations");
        assertThatThrownBy(() -> d.withStepScale(-1)).hasMessageContaining("stepScale");
        assertThatThrownBy(() -> d.withPriceStep(Double.POSITIVE_INFINITY)).hasMessageContaining("priceStep");
        assertThatThrownBy(() -> d.withWarmMix(1.5)).hasMessageContaining("warmMix");
        assertThat(d.withColdStart(ColdStart.REMAINING_BYTES).coldStart()).isEqualTo(ColdStart.REMAINING_BYTES);
    }

    @Test
    void theRemainingBytesColdStartIsExactAtOnce() {
        // documented property: δ ∝ R makes the first primal iterate the exact optimum
        AllocationProblem p = SyntheticProblems.random(1000, 0.5, 1.5, 2);
        SubgradientSolver solver = new SubgradientSolver(Settings.DEFAULT.withColdStart(ColdStart.REMAINING_BYTES));
        AllocationSolution plan = solver.solve(p);
        assertThat(error(plan, ExactSolver.INSTANCE.solve(p))).isLessThan(1e-12);
    }

    /** One period of progress: R × U(0.98, 1), P × U(0.99, 1.01). */
    static AllocationProblem drift(AllocationProblem p, SplittableRandom rnd) {
        double[] r = new double[p.size()];
        double[] u = new double[p.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = p.remainingBytes(i) * (1 - 0.02 * rnd.nextDouble());
            u[i] = p.peerUploadRate(i) * (0.99 + 0.02 * rnd.nextDouble());
        }
        return p.withInputs(r, u, null);
    }
}
