package io.bootswarm.profile.api;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** A profile with one page of its rows, in profile order. */
@Schema(name = "Profile", description = "An access profile with (a page of) its rows, earliest mean first access first; "
        + "ties by piece index.")
record ProfileView(UUID imageId, String workload, int pieceSize,
                   @Schema(description = "Runs the profile is built from.") int runs,
                   @Schema(description = "Rows in all (distinct pieces).") int pieces,
                   Instant createdAt, Instant updatedAt,
                   @Schema(description = "Page of rows, from 0.") int page,
                   @Schema(description = "Rows per page.") int size,
                   @Schema(description = "Pages in all.") int totalPages,
                   List<ProfileRowView> rows) {
}
