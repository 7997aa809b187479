package io.bootswarm.allocation;

/** Shared arithmetic of the solvers: evaluating an allocation (Eq. 10) and the cheap lower bound. */
final class Solutions {

    private Solutions() {
    }

    /**
     * Evaluates {@code allocation} on {@code problem} (Eq. 10) and wraps it as a solution. Takes
     * ownership of the array.
     */
    static AllocationSolution solution(Strategy strategy, AllocationProblem problem, double[] allocation,
                                       double lowerBound, int iterations, long startNanos) {
        return solution(strategy, problem, allocation, lowerBound, iterations, startNanos, null, Double.NaN);
    }

    /** As above, with the dual (δ_i per swarm, δ_0) of the solution. */
    static AllocationSolution solution(Strategy strategy, AllocationProblem problem, double[] allocation,
                                       double lowerBound, int iterations, long startNanos, double[] dualWeights,
                                       double bandwidthPrice) {
        double[] r = problem.remaining();
        double[] p = problem.peerUpload();
        int n = r.length;
        double[] times = new double[n];
        double max = 0;
        int starved = 0;
        for (int i = 0; i < n; i++) {
            double t = time(r[i], p[i] + allocation[i]);
            if (t == Double.POSITIVE_INFINITY) {
                starved++;
            }
            times[i] = t;
            if (t > max) {
                max = t;
            }
        }
        double lb = Math.min(lowerBound, max);
        return new AllocationSolution(strategy, problem, allocation, times, max, lb, iterations,
                System.nanoTime() - startNanos, starved, dualWeights, bandwidthPrice);
    }

    /** T = R / rate, with 0 for nothing left and +∞ for bytes left at rate 0. */
    static double time(double remaining, double rate) {
        if (remaining == 0) {
            return 0;
        }
        return rate > 0 ? remaining / rate : Double.POSITIVE_INFINITY;
    }

    /**
     * A lower bound on the optimal M valid for any allocation: the pooled bound
     * {@code ΣR / (ΣP + u_s)} over unfinished swarms (sum their constraints
     * {@code R^i ≤ M (P^i + u_s^i)}) and the single-swarm bound {@code max_i R^i / (P^i + u_s)}.
     */
    static double cheapLowerBound(AllocationProblem problem) {
        double[] r = problem.remaining();
        double[] p = problem.peerUpload();
        double u = problem.serverUploadRate();
        double sr = 0;
        double sp = 0;
        double single = 0;
        for (int i = 0; i < r.length; i++) {
            if (r[i] == 0) {
                continue;
            }
            sr += r[i];
            sp += p[i];
            double t = time(r[i], p[i] + u);
            if (t > single) {
                single = t;
            }
        }
        return Math.max(time(sr, sp + u), single);
    }

    /**
     * Adds the rounding left in {@code Σ allocation = total} to the largest entry, so that the
     * constraint holds to the last bit that double arithmetic allows.
     */
    static void absorbRounding(double[] allocation, double total) {
        double sum = 0;
        int largest = 0;
        for (int i = 0; i < allocation.length; i++) {
            sum += allocation[i];
            if (allocation[i] > allocation[largest]) {
                largest = i;
            }
        }
        double fixed = allocation[largest] + (total - sum);
        if (fixed >= 0) {
            allocation[largest] = fixed;
        }
    }

    /** An equal split of {@code total} over the swarms with bytes left (over all when none has). */
    static double[] equalOverUnfinished(AllocationProblem problem) {
        double[] r = problem.remaining();
        int n = r.length;
        int open = 0;
        for (double x : r) {
            if (x > 0) {
                open++;
            }
        }
        double[] a = new double[n];
        double total = problem.serverUploadRate();
        for (int i = 0; i < n; i++) {
            if (open == 0 || r[i] > 0) {
                a[i] = total / (open == 0 ? n : open);
            }
        }
        absorbRounding(a, total);
        return a;
    }
}
