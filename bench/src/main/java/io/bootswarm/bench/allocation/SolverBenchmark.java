package io.bootswarm.bench.allocation;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.AllocationSolver;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocation.SyntheticProblems;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * Time to solve one allocation problem of 10^3, 10^4 and 10^5 random heterogeneous swarms
 * ({@link SyntheticProblems#random(int, long)}: u_s = ½ ΣP, about a third of the swarms served).
 * Target (issue 4): 10^5 swarms in under 50 ms.
 *
 * <ul>
 *   <li>{@code EXACT}: the exact min-max optimum (Newton on the breakpoints).</li>
 *   <li>{@code CROSS_OPT}: the subgradient method from a cold start, to ε = 0.5 %.</li>
 *   <li>{@code CROSS_OPT_WARM}: the same, warm-started from the plan of the previous period (the
 *       inputs of this one drifted from it: R × U(0.9, 1), P × U(0.95, 1.05)), as the allocator
 *       re-solves every period.</li>
 *   <li>{@code CROSS_PROP}: the proportional split, for scale (one pass).</li>
 * </ul>
 *
 * <pre>
 *   ./mvnw -pl bench -am package -DskipTests
 *   java -jar bench/target/benchmarks.jar SolverBenchmark -wi 3 -i 5 -f 1
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SolverBenchmark {

    @Param({"1000", "10000", "100000"})
    public int swarms;

    @Param({"EXACT", "CROSS_OPT", "CROSS_OPT_WARM", "CROSS_PROP"})
    public String strategy;

    private AllocationProblem problem;
    private AllocationSolution previous;
    private AllocationSolver solver;

    @Setup(Level.Trial)
    public void setUp() {
        AllocationProblem before = SyntheticProblems.random(swarms, 1);
        problem = ConvergenceStudy.drift(before, new SplittableRandom(3));
        boolean warm = strategy.equals("CROSS_OPT_WARM");
        solver = Strategy.valueOf(warm ? "CROSS_OPT" : strategy).solver();
        previous = warm ? solver.solve(before) : null;
        AllocationSolution check = solver.solve(problem, previous);
        System.out.printf("%n[%s, %d swarms: %d iterations, gap %.2e, M %.4f]%n", strategy, swarms,
                check.iterations(), check.relativeGap(), check.maxRemainingTime());
    }

    @Benchmark
    public AllocationSolution solve() {
        return solver.solve(problem, previous);
    }
}
