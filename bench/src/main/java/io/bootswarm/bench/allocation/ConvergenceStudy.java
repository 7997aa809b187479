package io.bootswarm.bench.allocation;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.ExactSolver;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocation.SubgradientSolver;
import io.bootswarm.allocation.SubgradientSolver.ColdStart;
import io.bootswarm.allocation.SubgradientSolver.PriceUpdate;
import io.bootswarm.allocation.SubgradientSolver.Settings;
import io.bootswarm.allocation.SubgradientSolver.StepRule;
import io.bootswarm.allocation.SyntheticProblems;
import io.bootswarm.allocation.SyntheticProblems.PaperSetting;
import io.bootswarm.allocation.SyntheticProblems.Popularity;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The measurements behind {@link SubgradientSolver}'s settings: iterations and error against
 * {@link ExactSolver} per problem family, for the step rules, price updates, tolerances and
 * starts it could use, and cold against warm starts after small input changes. Not a timing
 * benchmark (that is {@link SolverBenchmark}); prints plain tables.
 *
 * <pre>
 *   java -cp bench/target/benchmarks.jar io.bootswarm.bench.allocation.ConvergenceStudy [steps|tolerance|warm|all]
 * </pre>
 */
public final class ConvergenceStudy {

    private ConvergenceStudy() {
    }

    record Family(String name, List<AllocationProblem> problems) {
    }

    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "all";
        List<Family> families = families(what.equals("quick"));
        if (what.equals("all") || what.equals("steps") || what.equals("quick")) {
            steps(families);
        }
        if (what.equals("all") || what.equals("tolerance")) {
            tolerance(families);
        }
        if (what.equals("all") || what.equals("warm") || what.equals("quick")) {
            warm(0.02, 0.01);
            warm(0.10, 0.05);
        }
    }

    static List<Family> families(boolean quick) {
        List<Family> out = new ArrayList<>();
        for (Popularity pop : Popularity.values()) {
            List<AllocationProblem> ps = new ArrayList<>();
            for (double ratio : new double[] {0.2, 0.3, 0.5, 0.7, 0.9}) {
                for (long seed = 1; seed <= (quick ? 2 : 5); seed++) {
                    ps.add(SyntheticProblems.paper(PaperSetting.of(ratio, pop, seed)));
                }
            }
            out.add(new Family("paper 10x16 " + pop.name().toLowerCase(Locale.ROOT), ps));
        }
        for (int n : quick ? new int[] {1000} : new int[] {1000, 100_000}) {
            for (double share : new double[] {0.05, 0.5, 5}) {
                List<AllocationProblem> ps = new ArrayList<>();
                for (long seed = 1; seed <= (n > 1000 ? 2 : 5); seed++) {
                    ps.add(SyntheticProblems.random(n, share, 1.5, seed));
                }
                out.add(new Family("random n=" + n + " us=" + share + "·ΣP", ps));
            }
            List<AllocationProblem> wide = new ArrayList<>();
            for (long seed = 1; seed <= (n > 1000 ? 2 : 5); seed++) {
                wide.add(SyntheticProblems.random(n, 0.5, 3.0, seed));
            }
            out.add(new Family("random n=" + n + " wide R (log-sd 3)", wide));
        }
        return out;
    }

    static void steps(List<Family> families) {
        Map<String, Settings> configs = new LinkedHashMap<>();
        Settings d = Settings.DEFAULT;
        configs.put("default: exp. α=2, Eq.15 β=1, uniform", d);
        configs.put("no stall repair", d.withRepairAfter(0));
        configs.put("stall repair after 2", d.withRepairAfter(2));
        configs.put("stall repair after 5", d.withRepairAfter(5));
        configs.put("exp. α=1", d.withStepScale(1));
        configs.put("exp. α=3", d.withStepScale(3));
        configs.put("exp. β=0.5", d.withPriceStep(0.5));
        configs.put("exp. δ0 line search", d.withPriceUpdate(PriceUpdate.LINE_SEARCH));
        configs.put("scaled α=2", d.withStepRule(StepRule.SCALED));
        configs.put("scaled α=2 δ0 line search", d.withStepRule(StepRule.SCALED).withPriceUpdate(PriceUpdate.LINE_SEARCH));
        configs.put("paper's scalar α=2", d.withStepRule(StepRule.SCALAR).withMaxIterations(3000));
        configs.put("paper's scalar α=0.5", d.withStepRule(StepRule.SCALAR).withStepScale(0.5)
                .withMaxIterations(3000));
        configs.put("cold start δ∝R", d.withColdStart(ColdStart.REMAINING_BYTES));
        System.out.println("== step rules: iterations (mean / max) and error vs exact (max), ε = 0.5 %");
        System.out.printf("%-36s %-34s %8s %6s %10s %10s %6s%n", "family", "setting", "it mean", "it max",
                "max err", "max gap", "unconv");
        for (Family f : families) {
            double[] exact = exact(f);
            for (var e : configs.entrySet()) {
                report(f, exact, e.getKey(), new SubgradientSolver(e.getValue()));
            }
        }
    }

    static void tolerance(List<Family> families) {
        System.out.println("== stopping tolerance ε: iterations and error vs exact");
        System.out.printf("%-36s %-34s %8s %6s %10s %10s %6s%n", "family", "setting", "it mean", "it max",
                "max err", "max gap", "unconv");
        for (Family f : families) {
            double[] exact = exact(f);
            for (double eps : new double[] {0.01, 0.005, 0.001, 0.0001}) {
                report(f, exact, "ε=" + eps, new SubgradientSolver(Settings.DEFAULT.withTolerance(eps)
                        .withMaxIterations(5000)));
            }
        }
    }

    private static double[] exact(Family f) {
        double[] m = new double[f.problems().size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = ExactSolver.INSTANCE.solve(f.problems().get(i)).maxRemainingTime();
        }
        return m;
    }

    private static void report(Family f, double[] exact, String name, SubgradientSolver solver) {
        long its = 0;
        int maxIts = 0;
        double maxErr = 0;
        double maxGap = 0;
        int unconverged = 0;
        long nanos = 0;
        for (int i = 0; i < exact.length; i++) {
            AllocationSolution plan = solver.solve(f.problems().get(i));
            its += plan.iterations();
            maxIts = Math.max(maxIts, plan.iterations());
            maxErr = Math.max(maxErr, (plan.maxRemainingTime() - exact[i]) / exact[i]);
            maxGap = Math.max(maxGap, plan.relativeGap());
            nanos += plan.solveNanos();
            if (plan.relativeGap() > solver.settings().tolerance()) {
                unconverged++;
            }
        }
        System.out.printf("%-36s %-34s %8.1f %6d %10.2e %10.2e %6d   (%.2f ms/solve, untimed JIT)%n", f.name(), name,
                its / (double) exact.length, maxIts, maxErr, maxGap, unconverged, nanos / 1e6 / exact.length);
    }

    /**
     * A simulator's loop: every step, swarms progress (R shrinks by 0–10 %), peer rates drift
     * (±5 %); solve cold and warm from the previous Cross-Opt plan.
     */
    static void warm(double rDrop, double pNoise) {
        System.out.printf("== warm start: iterations per solve over 20 periods (R × U(%.2f, 1), P × U(%.2f, %.2f)),"
                + " cold vs warm from the previous plan%n", 1 - rDrop, 1 - pNoise, 1 + pNoise);
        System.out.printf("%-22s %-34s %8s %8s %8s %8s %10s %10s%n", "problem", "warm start", "cold it", "max",
                "warm it", "max", "cold err", "warm err");
        List<AllocationProblem> starts = List.of(
                SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.ZIPF, 1)),
                SyntheticProblems.paper(PaperSetting.of(0.5, Popularity.UNIFORM, 1)),
                SyntheticProblems.random(1000, 1),
                SyntheticProblems.random(100_000, 1));
        String[] names = {"paper zipf r=0.5", "paper uniform r=0.5", "random 10^3", "random 10^5"};
        Map<String, SubgradientSolver> variants = new LinkedHashMap<>();
        variants.put("dual, λ=0", new SubgradientSolver(Settings.DEFAULT.withWarmMix(0)));
        variants.put("dual, λ=0.01", new SubgradientSolver(Settings.DEFAULT.withWarmMix(0.01)));
        variants.put("dual, λ=0.05", new SubgradientSolver(Settings.DEFAULT.withWarmMix(0.05)));
        variants.put("dual, λ=0.1 (default)", SubgradientSolver.DEFAULT);
        variants.put("dual, λ=0.1, no stall repairs", new SubgradientSolver(Settings.DEFAULT.withRepairAfter(0)));
        variants.put("dual, λ=0.2", new SubgradientSolver(Settings.DEFAULT.withWarmMix(0.2)));
        variants.put("from EXACT's dual (default λ)", SubgradientSolver.DEFAULT);
        variants.put("allocation only (KKT, default λ)", null);
        for (int s = 0; s < starts.size(); s++) {
            for (var v : variants.entrySet()) {
                boolean kkt = v.getValue() == null;
                boolean fromExact = v.getKey().startsWith("from EXACT");
                SubgradientSolver solver = kkt ? SubgradientSolver.DEFAULT : v.getValue();
                SplittableRandom rnd = new SplittableRandom(7);
                AllocationProblem problem = starts.get(s);
                AllocationSolution previous = solver.solve(problem);
                long cold = 0;
                long warm = 0;
                int coldMax = 0;
                int warmMax = 0;
                double coldErr = 0;
                double warmErr = 0;
                int steps = 20;
                for (int step = 0; step < steps; step++) {
                    AllocationSolution from = kkt
                            ? AllocationSolution.of(problem, previous.serverRateArray(), Strategy.CROSS_OPT)
                            : fromExact ? ExactSolver.INSTANCE.solve(problem) : previous;
                    problem = drift(problem, rnd, rDrop, pNoise);
                    double exact = ExactSolver.INSTANCE.solve(problem).maxRemainingTime();
                    AllocationSolution c = solver.solve(problem);
                    AllocationSolution w = solver.solve(problem, from);
                    cold += c.iterations();
                    warm += w.iterations();
                    coldMax = Math.max(coldMax, c.iterations());
                    warmMax = Math.max(warmMax, w.iterations());
                    coldErr = Math.max(coldErr, (c.maxRemainingTime() - exact) / exact);
                    warmErr = Math.max(warmErr, (w.maxRemainingTime() - exact) / exact);
                    previous = w;
                }
                System.out.printf("%-22s %-34s %8.1f %8d %8.1f %8d %10.2e %10.2e%n", names[s], v.getKey(),
                        cold / (double) steps, coldMax, warm / (double) steps, warmMax, coldErr, warmErr);
            }
        }
    }

    /** Input changes of one period: R × U(0.9, 1), P × U(0.95, 1.05). */
    static AllocationProblem drift(AllocationProblem p, SplittableRandom rnd) {
        return drift(p, rnd, 0.1, 0.05);
    }

    /** Input changes of one period: R × U(1 − rDrop, 1), P × U(1 − pNoise, 1 + pNoise). */
    static AllocationProblem drift(AllocationProblem p, SplittableRandom rnd, double rDrop, double pNoise) {
        int n = p.size();
        double[] r = new double[n];
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            r[i] = p.remainingBytes(i) * (1 - rDrop * rnd.nextDouble());
            u[i] = p.peerUploadRate(i) * (1 - pNoise + 2 * pNoise * rnd.nextDouble());
        }
        return p.withInputs(r, u, null);
    }
}
