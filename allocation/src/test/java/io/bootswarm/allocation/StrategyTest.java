package io.bootswarm.allocation;

import io.bootswarm.allocation.SyntheticProblems.PaperSetting;
import io.bootswarm.allocation.SyntheticProblems.Popularity;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StrategyTest {

    @Test
    void parsesThePapersNamesAndEnumNames() {
        assertThat(Strategy.parse("Cross-Opt")).isEqualTo(Strategy.CROSS_OPT);
        assertThat(Strategy.parse("cross_prop")).isEqualTo(Strategy.CROSS_PROP);
        assertThat(Strategy.parse(" CROSS-EQU ")).isEqualTo(Strategy.CROSS_EQU);
        assertThat(Strategy.parse("iso")).isEqualTo(Strategy.ISO);
        assertThat(Strategy.parse("EXACT")).isEqualTo(Strategy.EXACT);
        assertThatThrownBy(() -> Strategy.parse("fastest")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'fastest'").hasMessageContaining("cross-opt");
        assertThatThrownBy(() -> Strategy.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThat(Strategy.CROSS_OPT.label()).isEqualTo("Cross-Opt");
    }

    @Test
    void everyStrategyReturnsAFeasiblePlanTaggedWithItself() {
        List<AllocationProblem> problems = List.of(
                SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.ZIPF, 1)),
                SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.UNIFORM, 1).withCrossImage(false)),
                SyntheticProblems.random(3000, 0.05, 3, 1),
                SyntheticProblems.random(3000, 20, 1, 2));
        for (AllocationProblem p : problems) {
            double optimum = Strategy.EXACT.solver().solve(p).maxRemainingTime();
            for (Strategy s : Strategy.values()) {
                AllocationSolution plan = s.solver().solve(p);
                assertThat(plan.strategy()).isEqualTo(s);
                assertThat(s.solver().strategy()).isEqualTo(s);
                SubgradientSolverTest.assertFeasible(p, plan, s + " on " + p);
                assertThat(plan.maxRemainingTime()).as(s + " no better than optimal")
                        .isGreaterThanOrEqualTo(optimum * (1 - 1e-12));
                assertThat(plan.lowerBound()).as(s + " lower bound").isLessThanOrEqualTo(optimum * (1 + 1e-12));
                assertThat(plan.size()).isEqualTo(p.size());
                assertThat(plan.swarmIds()).isEqualTo(p.swarmIds());
            }
        }
    }

    @Test
    void onThePapersSettingTheOptimumBeatsTheFixedSplits() {
        // the min-max objective itself (the paper's Fig. 5–7 compare download times in a simulator)
        for (Popularity pop : Popularity.values()) {
            AllocationProblem p = SyntheticProblems.paper(PaperSetting.of(0.5, pop, 3));
            double opt = Strategy.CROSS_OPT.solver().solve(p).maxRemainingTime();
            for (Strategy s : List.of(Strategy.CROSS_EQU, Strategy.CROSS_PROP)) {
                assertThat(opt).as(pop + " vs " + s).isLessThan(s.solver().solve(p).maxRemainingTime());
            }
        }
    }
}
