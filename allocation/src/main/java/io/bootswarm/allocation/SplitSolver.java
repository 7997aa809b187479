package io.bootswarm.allocation;

/** The fixed splits the paper compares against: ISO, Cross-Equ and Cross-Prop (§V-A). */
final class SplitSolver implements AllocationSolver {

    static final SplitSolver ISO = new SplitSolver(Strategy.ISO);
    static final SplitSolver CROSS_EQU = new SplitSolver(Strategy.CROSS_EQU);
    static final SplitSolver CROSS_PROP = new SplitSolver(Strategy.CROSS_PROP);

    private final Strategy strategy;

    private SplitSolver(Strategy strategy) {
        this.strategy = strategy;
    }

    @Override
    public Strategy strategy() {
        return strategy;
    }

    @Override
    public AllocationSolution solve(AllocationProblem problem, AllocationSolution warmStart) {
        long start = System.nanoTime();
        double[] a = switch (strategy) {
            case ISO -> perImage(problem);
            case CROSS_PROP -> proportional(problem);
            default -> Solutions.equalOverUnfinished(problem);
        };
        return Solutions.solution(strategy, problem, a, Solutions.cheapLowerBound(problem), 0, start);
    }

    /** u_s / (images with bytes left) per image, split equally over the image's unfinished swarms. */
    private static double[] perImage(AllocationProblem problem) {
        int[] imageOf = problem.imageIndex();
        if (imageOf == null) {
            return Solutions.equalOverUnfinished(problem);
        }
        double[] r = problem.remaining();
        int n = r.length;
        int[] open = new int[problem.imageCount()];
        int openImages = 0;
        for (int i = 0; i < n; i++) {
            if (r[i] > 0 && open[imageOf[i]]++ == 0) {
                openImages++;
            }
        }
        if (openImages == 0) {
            return Solutions.equalOverUnfinished(problem);
        }
        double perImage = problem.serverUploadRate() / openImages;
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            if (r[i] > 0) {
                a[i] = perImage / open[imageOf[i]];
            }
        }
        Solutions.absorbRounding(a, problem.serverUploadRate());
        return a;
    }

    /** u_s in proportion to popularity over unfinished swarms (remaining bytes if all are 0). */
    private static double[] proportional(AllocationProblem problem) {
        double[] r = problem.remaining();
        double[] w = problem.popularityArray();
        int n = r.length;
        double total = 0;
        for (int i = 0; i < n; i++) {
            if (r[i] > 0) {
                total += w[i];
            }
        }
        if (total == 0) {
            w = r;
            for (double x : r) {
                total += x;
            }
        }
        if (total == 0) {
            return Solutions.equalOverUnfinished(problem);
        }
        double u = problem.serverUploadRate();
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
            if (r[i] > 0) {
                a[i] = u * (w[i] / total);
            }
        }
        Solutions.absorbRounding(a, u);
        return a;
    }
}
