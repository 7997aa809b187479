package io.bootswarm.allocator.api;

import io.bootswarm.allocator.plan.PlanRecord;
import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A plan with its inputs and, per swarm, why it gets what it gets. */
@Schema(name = "Plan", description = "A split of the seed's upload over the swarms, with its inputs and predictions.")
public record PlanView(
        @Schema(description = "The plan's id (absent for a what-if).", nullable = true) UUID planId,
        @Schema(description = "When it was made.") Instant at,
        @Schema(description = "The strategy: ISO, CROSS_EQU, CROSS_PROP, CROSS_OPT or EXACT.") String strategy,
        @Schema(description = "The strategy as the paper names it.", example = "Cross-Opt") String strategyLabel,
        @Schema(description = "GROUP: the swarms are piece groups; IMAGE: whole images (ISO, or reports without "
                + "groups); absent for a what-if.", nullable = true) String level,
        @Schema(description = "u_s, the seed's upload split, bytes per second.") double seedUpload,
        @Schema(description = "After this the seed no longer follows it (absent for a what-if).", nullable = true)
        Instant validUntil,
        @Schema(description = "True while it is valid.") boolean fresh,
        @Schema(description = "M = max_i T_r^i, seconds until the slowest swarm is done; absent when some swarm "
                + "gets no upload at all (it never finishes).", nullable = true) Double maxRemainingSeconds,
        @Schema(description = "A proven lower bound on the optimal M, seconds.", nullable = true) Double lowerBoundSeconds,
        @Schema(description = "(M - lower bound) / M: how far from optimal the plan may be.") double gap,
        @Schema(description = "Solver iterations (0 for the fixed splits).") int iterations,
        @Schema(description = "Σ_i u_s^i − u_s: the rounding left in the constraint, bytes per second.") double residual,
        @Schema(description = "Time the solver took, milliseconds.") double solveMillis,
        @Schema(description = "What the plan was made from.") Inputs inputs,
        @Schema(description = "Per swarm: R, P, the seed's rate and the predicted remaining time.") List<Swarm> swarms) {

    /** Totals of the inputs. */
    @Schema(name = "PlanInputs")
    public record Inputs(
            @Schema(description = "Hosts whose reports went in (absent for a what-if).", nullable = true) Integer hosts,
            @Schema(description = "Swarms.") int swarms,
            @Schema(description = "Σ R^i, bytes.") double remainingBytes,
            @Schema(description = "Σ P^i, bytes per second.") double peerUploadRate) {
    }

    /** One swarm of a plan. */
    @Schema(name = "PlanSwarm")
    public record Swarm(
            @Schema(description = "A piece group id, or an image id at image level.") String swarmId,
            @Schema(description = "The images whose agents reported it.") List<String> imageIds,
            @Schema(description = "R^i: bytes its peers still miss.") double remainingBytes,
            @Schema(description = "P^i: upload its peers give it, bytes per second.") double peerUploadRate,
            @Schema(description = "Hosts still missing some of it.") double popularity,
            @Schema(description = "u_s^i: the seed's rate for it, bytes per second.") double seedRate,
            @Schema(description = "T_r^i = R^i / (P^i + u_s^i), seconds; absent when it never finishes.",
                    nullable = true) Double predictedSeconds) {
    }

    static PlanView of(PlanRecord r, Instant now) {
        return new PlanView(r.planId(), r.at(), r.strategy().name(), r.strategy().label(), r.level().name(),
                r.seedUpload(), r.validUntil(), now.isBefore(r.validUntil()), finite(r.maxRemainingSeconds()),
                finite(r.lowerBound()), r.gap(), r.iterations(), r.residual(), r.solveNanos() / 1e6,
                new Inputs(r.hosts(), r.swarms().size(), r.totalRemainingBytes(), r.totalPeerUploadRate()),
                r.swarms().stream().map(l -> new Swarm(l.swarmId(), l.imageIds(), l.remainingBytes(), l.peerUploadRate(),
                        l.popularity(), l.seedRate(), finite(l.predictedSeconds()))).toList());
    }

    /** The value, or null for ±∞ and NaN (JSON has no infinity). */
    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
