package io.bootswarm.allocation;

import java.util.Locale;

/**
 * How the seed's upload is split, the four strategies compared in Wu et al. §V plus the exact
 * optimum. All produce an {@link AllocationSolution} for the same {@link AllocationProblem}; the
 * difference between "isolated" and "cross-image" distribution is in which swarms the problem has
 * (one per image, or one per shared piece group), not in the solver.
 */
public enum Strategy {

    /**
     * ISO: equal split across images (the paper's isolated-image model, "server bandwidth equally
     * allocated to all image swarms"); each image's share is split equally over its unfinished
     * swarms. Images come from the problem's labels; unlabelled, every swarm is its own image.
     */
    ISO("ISO"),

    /** Cross-Equ: equal split across the swarms that still miss bytes. */
    CROSS_EQU("Cross-Equ"),

    /**
     * Cross-Prop: split in proportion to popularity, the number of peers still downloading from
     * the swarm (the paper's request rate; see {@link AllocationProblem}); by remaining bytes when
     * no swarm has a popularity.
     */
    CROSS_PROP("Cross-Prop"),

    /** Cross-Opt: the paper's subgradient method (§IV, Algorithm 1); see {@link SubgradientSolver}. */
    CROSS_OPT("Cross-Opt"),

    /** The exact min-max optimum of Eq. 11; see {@link ExactSolver}. */
    EXACT("Exact");

    private final String label;

    Strategy(String label) {
        this.label = label;
    }

    /** The name the paper uses ("Cross-Opt"). */
    public String label() {
        return label;
    }

    /** The solver for this strategy with default settings (shared, thread-safe instances). */
    public AllocationSolver solver() {
        return switch (this) {
            case ISO -> SplitSolver.ISO;
            case CROSS_EQU -> SplitSolver.CROSS_EQU;
            case CROSS_PROP -> SplitSolver.CROSS_PROP;
            case CROSS_OPT -> SubgradientSolver.DEFAULT;
            case EXACT -> ExactSolver.INSTANCE;
        };
    }

    /**
     * The strategy named {@code name}, ignoring case and the difference between '-' and '_'
     * ("cross-opt", "Cross-Opt", "CROSS_OPT").
     *
     * @throws IllegalArgumentException naming the accepted values
     */
    public static Strategy parse(String name) {
        if (name != null) {
            String n = name.trim().replace('-', '_').toUpperCase(Locale.ROOT);
            for (Strategy s : values()) {
                if (s.name().equals(n)) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("unknown allocation strategy '" + name
                + "'; one of iso, cross-equ, cross-prop, cross-opt, exact");
    }
}
