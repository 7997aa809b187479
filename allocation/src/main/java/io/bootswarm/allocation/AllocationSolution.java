package io.bootswarm.allocation;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * What a solver returns for one {@link AllocationProblem}: a split of the seed's upload over its
 * swarms (a plan; allocator-service publishes it as the {@code io.bootswarm.common.events.AllocationPlan}
 * event, which carries the rates and a few of the figures below), with what it
 * predicts: per swarm the rate {@code u_s^i} and the remaining distribution time
 * {@code T_r^i = R^i / (P^i + u_s^i)} (Wu et al. Eq. 10), their maximum {@code M} (the objective
 * of Eq. 11), and how good the plan is known to be: a {@link #lowerBound() lower bound} on the
 * optimal M, so that {@code M - lowerBound} bounds the plan's distance from optimal.
 *
 * <p>Every plan satisfies the constraints of Eq. 11: {@code u_s^i ≥ 0} and {@code Σ_i u_s^i = u_s}
 * (to the last rounding; see {@link #allocationResidual()}). A swarm that misses bytes but has
 * neither peer upload nor seed upload never finishes: its time is {@code +∞}, as is M, and it is
 * counted in {@link #starvedSwarms()} (this happens only when {@code u_s = 0} or the strategy gives
 * it nothing). A swarm with nothing left has time 0.
 *
 * <p>Immutable; the swarm ids are shared with the problem. Accessors by index are free; the
 * {@code ...Array()} accessors copy.
 */
public final class AllocationSolution {

    private final Strategy strategy;
    private final String[] swarmIds;
    private final double[] allocation;
    private final double[] times;
    private final double maxTime;
    private final double lowerBound;
    private final double serverUpload;
    private final int iterations;
    private final long solveNanos;
    private final int starved;
    /** δ_i per swarm (0 for finished swarms), or null for strategies without a dual */
    private final double[] dualWeights;
    private final double bandwidthPrice;

    AllocationSolution(Strategy strategy, AllocationProblem problem, double[] allocation, double[] times,
                   double maxTime, double lowerBound, int iterations, long solveNanos, int starved,
                   double[] dualWeights, double bandwidthPrice) {
        this.strategy = strategy;
        this.swarmIds = problem.ids();
        this.allocation = allocation;
        this.times = times;
        this.maxTime = maxTime;
        this.lowerBound = lowerBound;
        this.serverUpload = problem.serverUploadRate();
        this.iterations = iterations;
        this.solveNanos = solveNanos;
        this.starved = starved;
        this.dualWeights = dualWeights;
        this.bandwidthPrice = bandwidthPrice;
    }

    /**
     * Evaluates a given split on a problem (Eq. 10): for plans kept outside this library (a
     * service's plan history, a seed's fallback split) that should warm-start a solver or be
     * compared. The split must have one rate per swarm, each ≥ 0, summing to u_s within 10^-9
     * relative.
     *
     * @throws IllegalArgumentException when it does not
     */
    public static AllocationSolution of(AllocationProblem problem, double[] serverRates, Strategy strategy) {
        Objects.requireNonNull(problem, "problem");
        Objects.requireNonNull(strategy, "strategy");
        if (serverRates.length != problem.size()) {
            throw new IllegalArgumentException("mismatched lengths: " + problem.size() + " swarms but "
                    + serverRates.length + " server rates");
        }
        double sum = 0;
        for (int i = 0; i < serverRates.length; i++) {
            double v = serverRates[i];
            if (!Double.isFinite(v) || v < 0) {
                throw new IllegalArgumentException("server rate of swarm '" + problem.swarmId(i)
                        + "' must be finite and non-negative, got " + v);
            }
            sum += v;
        }
        double us = problem.serverUploadRate();
        if (Math.abs(sum - us) > 1e-9 * Math.max(us, 1)) {
            throw new IllegalArgumentException("server rates sum to " + sum + ", not to u_s = " + us);
        }
        return Solutions.solution(strategy, problem, serverRates.clone(), Solutions.cheapLowerBound(problem), 0,
                System.nanoTime(), null, Double.NaN);
    }

    /** The strategy that made the plan. */
    public Strategy strategy() {
        return strategy;
    }

    /** Number of swarms. */
    public int size() {
        return swarmIds.length;
    }

    public String swarmId(int i) {
        return swarmIds[i];
    }

    public List<String> swarmIds() {
        return new AllocationProblem.ArrayView(swarmIds);
    }

    /** u_s^i: the seed's upload rate for swarm i. */
    public double serverRate(int i) {
        return allocation[i];
    }

    /** T_r^i under this plan (Eq. 10); +∞ for a starved swarm, 0 for a finished one. */
    public double remainingTime(int i) {
        return times[i];
    }

    /** The seed's rate for a swarm id, if the plan has that swarm (linear scan: for a few look-ups). */
    public OptionalDouble serverRateOf(String swarmId) {
        for (int i = 0; i < swarmIds.length; i++) {
            if (swarmIds[i].equals(swarmId)) {
                return OptionalDouble.of(allocation[i]);
            }
        }
        return OptionalDouble.empty();
    }

    /** M = max_i T_r^i, the objective of Eq. 11; +∞ when a swarm is starved. */
    public double maxRemainingTime() {
        return maxTime;
    }

    /** False when some swarm never finishes under this plan (M = +∞). */
    public boolean bounded() {
        return starved == 0;
    }

    /**
     * A proven lower bound on the optimal M of the problem: M itself for {@link Strategy#EXACT},
     * the best dual value (weak duality, Eq. 14) for {@link Strategy#CROSS_OPT}, and for the
     * heuristic strategies the cheap bound {@code max(ΣR/(ΣP + u_s), max_i R^i/(P^i + u_s))}.
     */
    public double lowerBound() {
        return lowerBound;
    }

    /**
     * {@code (M - lowerBound) / M}: how far the plan can be from optimal, relative to M (0 when
     * M is 0; 1 when M is infinite). For CROSS_OPT this is the duality gap its stopping rule tests.
     */
    public double relativeGap() {
        if (maxTime == 0 || lowerBound == maxTime) {
            return 0;
        }
        if (Double.isInfinite(maxTime)) {
            return 1;
        }
        return Math.max(0, (maxTime - lowerBound) / maxTime);
    }

    /** Iterations the solver ran (subgradient steps, or Newton steps of the exact solver; 0 for splits). */
    public int iterations() {
        return iterations;
    }

    /** Wall-clock time the solver took. */
    public Duration solveTime() {
        return Duration.ofNanos(solveNanos);
    }

    public long solveNanos() {
        return solveNanos;
    }

    /** True when the plan carries dual values ({@link Strategy#CROSS_OPT}, {@link Strategy#EXACT}). */
    public boolean hasDual() {
        return dualWeights != null;
    }

    /**
     * δ_i, the swarm's multiplier in Eq. 12 (the weights sum to 1): the share of the bottleneck
     * the swarm is. Swarms with δ_i &gt; 0 at the optimum are the ones that finish exactly at M
     * and hold it up; for them {@code ∂M/∂R^i = δ_i / (P^i + u_s^i)}. A swarm with δ_i = 0
     * finishes earlier on its peers' upload and would not benefit from more.
     *
     * @throws IllegalStateException when the plan has no dual ({@link #hasDual()})
     */
    public double dualWeight(int i) {
        if (dualWeights == null) {
            throw new IllegalStateException(strategy + " plans carry no dual weights");
        }
        return dualWeights[i];
    }

    /**
     * δ_0, the multiplier of Σ u_s^i = u_s (Eq. 12): the seconds of M one more byte/s of seed
     * upload would save ({@code −∂M/∂u_s} at the optimum; equally, one more byte/s of peer upload
     * in any bottleneck swarm). Empty for strategies without a dual.
     */
    public OptionalDouble bandwidthPrice() {
        return dualWeights == null ? OptionalDouble.empty() : OptionalDouble.of(bandwidthPrice);
    }

    /** Swarms with bytes left and no upload at all (T_r^i = +∞). */
    public int starvedSwarms() {
        return starved;
    }

    /** u_s, the total this plan splits. */
    public double serverUploadRate() {
        return serverUpload;
    }

    /** {@code Σ_i u_s^i − u_s}: the rounding left in the constraint Σ u_s^i = u_s. */
    public double allocationResidual() {
        double s = 0;
        for (double a : allocation) {
            s += a;
        }
        return s - serverUpload;
    }

    /** A copy of u_s^i, in problem order. */
    public double[] serverRateArray() {
        return allocation.clone();
    }

    /** A copy of T_r^i, in problem order. */
    public double[] remainingTimeArray() {
        return times.clone();
    }

    /** The plan as records (for REST bodies and events; allocates n records). */
    public List<SwarmAllocation> allocations() {
        List<SwarmAllocation> out = new ArrayList<>(swarmIds.length);
        for (int i = 0; i < swarmIds.length; i++) {
            out.add(new SwarmAllocation(swarmIds[i], allocation[i], times[i]));
        }
        return out;
    }

    // package-private, no copies
    String[] ids() {
        return swarmIds;
    }

    double[] allocation() {
        return allocation;
    }

    double[] dualWeightsOrNull() {
        return dualWeights;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocationSolution p
                && strategy == p.strategy
                && Arrays.equals(swarmIds, p.swarmIds)
                && Arrays.equals(allocation, p.allocation)
                && Double.compare(lowerBound, p.lowerBound) == 0
                && iterations == p.iterations;
    }

    @Override
    public int hashCode() {
        return Objects.hash(strategy, Arrays.hashCode(swarmIds), Arrays.hashCode(allocation));
    }

    @Override
    public String toString() {
        return "AllocationSolution[" + strategy + ", swarms=" + swarmIds.length + ", M=" + maxTime
                + ", lowerBound=" + lowerBound + ", gap=" + relativeGap() + ", iterations=" + iterations
                + ", starved=" + starved + ", solveTime=" + solveTime() + "]";
    }

    /**
     * One swarm's line of a plan.
     *
     * @param swarmId       the swarm
     * @param serverRate    u_s^i
     * @param remainingTime T_r^i (+∞ when starved)
     */
    public record SwarmAllocation(String swarmId, double serverRate, double remainingTime) {
    }
}
