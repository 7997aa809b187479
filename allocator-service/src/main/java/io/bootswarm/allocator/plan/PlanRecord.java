package io.bootswarm.allocator.plan;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocation.SwarmDemand;
import io.bootswarm.allocator.reports.Inputs;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A plan as allocator-service keeps it: what was decided, with the inputs it was decided on (the
 * "why"), so that it can be shown, published, and used to warm-start the next solve after a restart.
 *
 * @param at                  when it was made (microsecond precision, as PostgreSQL keeps it)
 * @param level               swarms are piece groups or images
 * @param seedUpload          u_s, bytes per second
 * @param maxRemainingSeconds M = max_i T_r^i (+∞ when some swarm gets no upload at all)
 * @param lowerBound          a proven lower bound on the optimal M
 * @param gap                 (M − lowerBound) / M
 * @param iterations          solver iterations
 * @param residual            Σ_i u_s^i − u_s
 * @param solveNanos          time the solver took
 * @param hosts               hosts whose reports went in
 * @param swarms              per swarm: the inputs and the seed's rate
 */
public record PlanRecord(UUID planId, Instant at, Strategy strategy, Inputs.Level level, long seedUpload,
                         Instant validUntil, double maxRemainingSeconds, double lowerBound, double gap, int iterations,
                         double residual, long solveNanos, int hosts, List<Line> swarms) {

    /**
     * One swarm of a plan.
     *
     * @param swarmId        a piece group id, or an image id in image-level plans
     * @param imageIds       the images whose agents reported it
     * @param remainingBytes R^i
     * @param peerUploadRate P^i
     * @param popularity     hosts still missing some of it
     * @param seedRate       u_s^i, the seed's rate for it
     */
    public record Line(String swarmId, List<String> imageIds, double remainingBytes, double peerUploadRate,
                       double popularity, double seedRate) {

        /** T_r^i = R^i / (P^i + u_s^i): 0 when nothing is left, +∞ when bytes are left and nobody uploads. */
        public double predictedSeconds() {
            if (remainingBytes == 0) {
                return 0;
            }
            double rate = peerUploadRate + seedRate;
            return rate > 0 ? remainingBytes / rate : Double.POSITIVE_INFINITY;
        }
    }

    public PlanRecord {
        swarms = List.copyOf(swarms);
    }

    /** The record of a solver's plan for {@code inputs}. */
    static PlanRecord of(UUID planId, Instant at, Instant validUntil, Inputs inputs, AllocationSolution plan) {
        List<Line> lines = new ArrayList<>(inputs.swarms().size());
        for (int i = 0; i < inputs.swarms().size(); i++) {
            Inputs.Swarm s = inputs.swarms().get(i);
            lines.add(new Line(s.swarmId(), s.imageIds(), s.remainingBytes(), s.peerUploadRate(), s.popularity(),
                    plan.serverRate(i)));
        }
        return new PlanRecord(planId, at, plan.strategy(), inputs.level(), inputs.seedUpload(), validUntil,
                plan.maxRemainingTime(), plan.lowerBound(), plan.relativeGap(), plan.iterations(),
                plan.allocationResidual(), plan.solveNanos(), inputs.hosts(), lines);
    }

    public double totalRemainingBytes() {
        return swarms.stream().mapToDouble(Line::remainingBytes).sum();
    }

    public double totalPeerUploadRate() {
        return swarms.stream().mapToDouble(Line::peerUploadRate).sum();
    }

    /**
     * The solver's view of this plan, to warm-start the next solve (matched by swarm id); null when
     * it cannot be rebuilt (no swarms).
     */
    AllocationSolution asSolverPlan() {
        if (swarms.isEmpty()) {
            return null;
        }
        AllocationProblem problem = AllocationProblem.of(swarms.stream().map(l -> new SwarmDemand(l.swarmId(), null,
                l.remainingBytes(), l.peerUploadRate(), l.popularity())).toList(), seedUpload);
        return AllocationSolution.of(problem, swarms.stream().mapToDouble(Line::seedRate).toArray(), strategy);
    }
}
