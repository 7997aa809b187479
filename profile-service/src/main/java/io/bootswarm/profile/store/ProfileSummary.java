package io.bootswarm.profile.store;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.UUID;

/** A profile without its rows. */
@Schema(name = "ProfileSummary", description = "An access profile of an (image, workload) pair, without its rows.")
public record ProfileSummary(
        @Schema(description = "The image (seed-service's id).") UUID imageId,
        @Schema(description = "The workload, matching [a-z0-9][a-z0-9._-]{0,63}.", example = "boot") String workload,
        @Schema(description = "Bytes per piece of the image the profile's piece indexes refer to.", example = "262144")
        int pieceSize,
        @Schema(description = "Runs (traces) the profile is built from.", example = "3") int runs,
        @Schema(description = "Distinct pieces read in at least one run: the profile's rows.", example = "291")
        int pieces,
        @Schema(description = "When the first run was applied.") Instant createdAt,
        @Schema(description = "When the latest run was applied.") Instant updatedAt) {
}
