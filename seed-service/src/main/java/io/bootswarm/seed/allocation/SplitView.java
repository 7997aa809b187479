package io.bootswarm.seed.allocation;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The answer of {@code GET /api/v1/allocation}. */
@Schema(name = "UploadSplit", description = """
        How the seed's upload is split over the swarms right now: by allocator-service's plan (PLAN), by \
        the bytes the agents report missing while no plan is fresh (FALLBACK), or not at all (UNSHAPED: \
        only the seed's overall upload rate applies).""")
public record SplitView(
        @Schema(description = "PLAN, FALLBACK or UNSHAPED.") UploadSplit.Source source,
        @Schema(description = "Why this source.") String reason,
        @Schema(description = "The applied plan, null unless PLAN.") UUID planId,
        @Schema(description = "The plan's strategy, null unless PLAN.") String strategy,
        @Schema(description = "When the plan was made.") Instant planAt,
        @Schema(description = "When the plan goes stale; the fallback split takes over then.") Instant validUntil,
        @Schema(description = "u_s the rates sum to, bytes per second (0 when unshaped).") long seedUpload,
        @Schema(description = "When this split was applied.") Instant appliedAt,
        @Schema(description = "The least bytes per second a listed swarm is allowed; a swarm not listed is limited "
                + "only by the seed's overall upload rate.") long minRate,
        @Schema(description = "The live seed replicas sharing the plan when this split was made, this one included.")
        int seeds,
        @Schema(description = "This seed's share of the plan: the factor its rates were multiplied by (its upload-rate "
                + "over the plan's seedUpload, the seeds' total; or 1/seeds while its upload is unlimited). 1 unless "
                + "PLAN.") double share,
        @Schema(description = "The swarms, highest rate first; then groups served but not in the split.")
        List<SwarmRate> swarms) {

    /**
     * One swarm of the split.
     *
     * @param groupId        the piece group, or null for an image-level entry
     * @param imageId        the image of an image-level entry, else null
     * @param bytesPerSecond u_s^i as applied (0 for a group served but not in the split)
     * @param limit          the limiter's rate: {@code max(bytesPerSecond, minRate)}, or 0 for a group not
     *                       in the split (no limiter of its own)
     * @param uploadedBytes  bytes of the group's pieces served since the seed started (groups only)
     */
    @Schema(name = "SwarmRate")
    public record SwarmRate(String groupId, UUID imageId, double bytesPerSecond, long limit, Long uploadedBytes) {
    }

    static SplitView of(UploadSplit.Split s, Map<String, Long> uploaded) {
        List<SwarmRate> swarms = new ArrayList<>();
        s.groupRates().forEach((g, r) -> swarms.add(new SwarmRate(g, null, r, Math.max(s.minRate(), Math.round(r)),
                uploaded.getOrDefault(g, 0L))));
        s.imageRates().forEach((i, r) -> swarms.add(new SwarmRate(null, i, r, Math.max(s.minRate(), Math.round(r)),
                null)));
        swarms.sort(Comparator.comparingDouble(SwarmRate::bytesPerSecond).reversed()
                .thenComparing(r -> String.valueOf(r.groupId()) + r.imageId()));
        uploaded.entrySet().stream().filter(e -> !s.groupRates().containsKey(e.getKey()))
                .sorted(Map.Entry.comparingByKey())
                .forEach(e -> swarms.add(new SwarmRate(e.getKey(), null, 0, 0, e.getValue())));
        return new SplitView(s.source(), s.reason(), s.planId(), s.strategy(), s.planAt(), s.validUntil(),
                s.seedUpload(), s.appliedAt(), s.minRate(), s.seeds(), s.share(), swarms);
    }
}
