/**
 * The seed's upload split across swarms (Wu et al., "On P2P Mechanisms for VM Image Distribution
 * in Cloud Data Centers", §IV): pure Java, no I/O, no Spring, primitive arrays inside.
 *
 * <ul>
 *   <li>{@link io.bootswarm.allocation.AllocationProblem}: per swarm R^i (bytes its
 *       peers still miss), P^i (upload its peers give it), popularity and image; the seed's
 *       total u_s. Built from per-peer {@link io.bootswarm.allocation.PeerReport}s
 *       (R_j^i, u_j, θ_j^i), from {@link io.bootswarm.allocation.SwarmDemand}s, or from
 *       arrays.</li>
 *   <li>{@link io.bootswarm.allocation.AllocationSolver#solve(AllocationProblem, AllocationSolution)}:
 *       one interface for every {@link io.bootswarm.allocation.Strategy} (ISO, Cross-Equ,
 *       Cross-Prop, Cross-Opt, Exact); the plan of the previous period may be passed as a warm
 *       start (matched by swarm id).</li>
 *   <li>{@link io.bootswarm.allocation.AllocationSolution}: u_s^i and T_r^i per swarm, M, a
 *       proven lower bound on the optimal M (so the gap is known), iterations, solve time and,
 *       for Cross-Opt and Exact, the dual (which swarms are the bottleneck, and the price of
 *       seed bandwidth in seconds per byte/s).</li>
 * </ul>
 *
 * <p>Generated problems (the paper's §V setting among them) are test code: {@code SyntheticProblems}
 * in this module's test sources, shared with bench's benchmarks and simulator as the module's
 * {@code tests} jar (which holds nothing else).
 *
 * <p>A service solves with the reports it aggregated and publishes the plan; a simulator calls
 * {@link io.bootswarm.allocation.AllocationProblem#withInputs} and solves in a loop,
 * warm-starting each period from the last plan.
 */
package io.bootswarm.allocation;
