package io.bootswarm.allocation;

/**
 * Splits the seed's upload over the swarms of a problem. Implementations are immutable and
 * thread-safe: one instance may serve a service's scheduler, its what-if endpoint and a simulator
 * at once. Get one from {@link Strategy#solver()} or construct {@link SubgradientSolver} with
 * settings.
 */
public interface AllocationSolver {

    /** The strategy this solver implements; every plan it returns carries it. */
    Strategy strategy();

    /**
     * Solves a problem.
     *
     * @param problem   the swarms and the seed's upload
     * @param warmStart a previous plan (any strategy, any swarms: matched by swarm id) to start
     *                  from, or null. Only iterative solvers use it; the others ignore it.
     * @return a plan with {@code u_s^i ≥ 0} and {@code Σ_i u_s^i = u_s}
     */
    AllocationSolution solve(AllocationProblem problem, AllocationSolution warmStart);

    /** Solves a problem from scratch. */
    default AllocationSolution solve(AllocationProblem problem) {
        return solve(problem, null);
    }
}
