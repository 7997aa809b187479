package io.bootswarm.allocation;

import java.util.Arrays;

/**
 * The exact optimum of the min-max problem (Wu et al. Eq. 11), the reference the subgradient plan
 * is measured against and a strategy of its own ({@link Strategy#EXACT}).
 *
 * <p>For a target time M, swarm i needs {@code u_s^i(M) = max(0, R^i/M − P^i)} to finish within
 * M. With {@code x = 1/M} the total need {@code f(x) = Σ_i max(0, R^i x − P^i)} is convex,
 * piecewise linear and increasing, with a breakpoint at {@code b_i = P^i/R^i} for each unfinished
 * swarm; the optimum is the x where {@code f(x) = u_s}, and then every swarm that gets bandwidth
 * finishes exactly at M (the equalisation of Theorems III.1–III.2) while the others finish
 * earlier on their own peers.
 *
 * <p>Root finding: Newton's method from the pooled point {@code x_0 = (u_s + ΣP)/ΣR}, where
 * {@code f(x_0) ≥ u_s}. On a convex increasing function Newton steps from the right decrease
 * monotonically to the root, and on a piecewise linear one they reach it exactly once the active
 * set {@code {i : R^i x > P^i}} stops changing: each step is one O(n) pass
 * {@code x ← (u_s + Σ_active P^i) / Σ_active R^i}. On the problem families of the tests this takes
 * 1–8 passes; should it ever need more than {@value #MAX_NEWTON_STEPS}, the solver falls back to
 * a binary search over the sorted breakpoints, O(n log n) ({@link #breakpointSearch}).
 *
 * <p>The plan carries the optimal dual of Eq. 12: {@code δ_i = R^i / Σ_served R} on the swarms
 * that get bandwidth, 0 elsewhere, and {@code δ_0 = M² / Σ_served R}; a subgradient solve
 * warm-started from it starts at the optimum.
 *
 * <p>Edge cases: swarms with R^i = 0 are finished (time 0, no bandwidth); u_s = 0 leaves every
 * allocation 0 and M = max R^i/P^i, infinite if some unfinished swarm has no peer upload; when
 * every swarm is finished the split is equal (every split is optimal, M = 0).
 */
public final class ExactSolver implements AllocationSolver {

    /** The shared instance (stateless). */
    public static final ExactSolver INSTANCE = new ExactSolver();

    static final int MAX_NEWTON_STEPS = 64;

    private ExactSolver() {
    }

    @Override
    public Strategy strategy() {
        return Strategy.EXACT;
    }

    /** Ignores {@code warmStart}: the solve is a handful of passes either way. */
    @Override
    public AllocationSolution solve(AllocationProblem problem, AllocationSolution warmStart) {
        long start = System.nanoTime();
        double[] r = problem.remaining();
        double[] p = problem.peerUpload();
        double u = problem.serverUploadRate();
        int n = r.length;
        double[] a = new double[n];
        double sr = 0;
        double sp = 0;
        for (int i = 0; i < n; i++) {
            if (r[i] > 0) {
                sr += r[i];
                sp += p[i];
            }
        }
        if (u == 0) {
            return Solutions.solution(Strategy.EXACT, problem, a, Double.POSITIVE_INFINITY, 0, start);
        }
        if (sr == 0) {
            return Solutions.solution(Strategy.EXACT, problem, Solutions.equalOverUnfinished(problem), 0, 0, start);
        }
        double x = (u + sp) / sr;
        int steps = 0;
        while (true) {
            if (steps == MAX_NEWTON_STEPS) {
                x = breakpointSearch(r, p, u);
                break;
            }
            steps++;
            double ar = 0;
            double ap = 0;
            for (int i = 0; i < n; i++) {
                if (r[i] * x > p[i]) {
                    ar += r[i];
                    ap += p[i];
                }
            }
            double next = (u + ap) / ar;
            if (!(next < x)) {
                break;
            }
            x = next;
        }
        fill(r, p, x, a);
        Solutions.absorbRounding(a, u);
        // the dual (Eq. 12) at the optimum: δ_i = R^i / Σ_active R on the swarms that get
        // bandwidth (they all finish at M), 0 elsewhere; δ_0 = M² / Σ_active R = −∂M/∂u_s
        double[] dual = new double[n];
        double active = 0;
        for (int i = 0; i < n; i++) {
            if (a[i] > 0) {
                active += r[i];
            }
        }
        for (int i = 0; i < n; i++) {
            if (a[i] > 0) {
                dual[i] = r[i] / active;
            }
        }
        return Solutions.solution(Strategy.EXACT, problem, a, Double.POSITIVE_INFINITY, steps, start, dual,
                1 / (x * x * active));
    }

    /** {@code a_i = max(0, R^i x − P^i)}. */
    static void fill(double[] r, double[] p, double x, double[] a) {
        for (int i = 0; i < r.length; i++) {
            double need = r[i] * x - p[i];
            a[i] = need > 0 ? need : 0;
        }
    }

    /**
     * The root x = 1/M of {@code Σ max(0, R^i x − P^i) = u} by binary search over the sorted
     * breakpoints {@code P^i/R^i}: O(n log n), no iteration count to trust. Needs u > 0 and some
     * R^i > 0.
     */
    static double breakpointSearch(double[] r, double[] p, double u) {
        int n = r.length;
        double[] b = new double[n];
        int m = 0;
        for (int i = 0; i < n; i++) {
            if (r[i] > 0) {
                b[m++] = p[i] / r[i];
            }
        }
        b = Arrays.copyOf(b, m);
        Arrays.sort(b);
        // f(b[0]) = -u < 0; find the largest k with f(b[k]) <= u: the root lies in [b[k], b[k+1])
        int lo = 0;
        int hi = m - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (need(r, p, b[mid]) <= u) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        double cut = b[lo];
        double ar = 0;
        double ap = 0;
        for (int i = 0; i < n; i++) {
            if (r[i] > 0 && p[i] / r[i] <= cut) {
                ar += r[i];
                ap += p[i];
            }
        }
        return (u + ap) / ar;
    }

    private static double need(double[] r, double[] p, double x) {
        double s = 0;
        for (int i = 0; i < r.length; i++) {
            double need = r[i] * x - p[i];
            if (need > 0) {
                s += need;
            }
        }
        return s;
    }
}
