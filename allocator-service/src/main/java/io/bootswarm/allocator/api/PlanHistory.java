package io.bootswarm.allocator.api;

import io.bootswarm.allocator.plan.PlanSummary;
import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** One page of the plan history, newest first. */
@Schema(name = "PlanHistory", description = "A page of the plan history, newest first.")
public record PlanHistory(int page, int size, long total, List<Entry> plans) {

    /** A plan of the history without its swarms ({@code GET /api/v1/plans/{id}} has them). */
    @Schema(name = "PlanHistoryEntry")
    public record Entry(UUID planId, Instant at, String strategy, String level, long seedUpload, Instant validUntil,
                        @Schema(nullable = true, description = "M, seconds; absent when unbounded")
                        Double maxRemainingSeconds,
                        double gap, int iterations, double residual, double solveMillis, int hosts, int swarms,
                        double remainingBytes, double peerUploadRate,
                        @Schema(nullable = true, description = "the allocator instance that made it (absent for "
                                + "plans made before leader election)")
                        String leader,
                        @Schema(description = "the leadership epoch it was made in: a higher one means a later "
                                + "leader (0: no election)")
                        long epoch) {

        static Entry of(PlanSummary s) {
            return new Entry(s.planId(), s.at(), s.strategy(), s.level(), s.seedUpload(), s.validUntil(),
                    PlanView.finite(s.maxRemainingSeconds()), s.gap(), s.iterations(), s.residual(),
                    s.solveNanos() / 1e6, s.hosts(), s.swarmCount(), s.remainingBytes(), s.peerUpload(), s.leader(),
                    s.epoch());
        }
    }
}
