package io.bootswarm.profile.api;

import io.bootswarm.profile.model.ProfileRow;
import io.swagger.v3.oas.annotations.media.Schema;

/** One row of a profile. */
@Schema(name = "ProfileRow", description = "A piece read in at least one run.")
record ProfileRowView(
        @Schema(description = "Mean first-access time over the runs that read the piece, ms since the disk opened.",
                example = "15391.641") double meanFirstAccessMillis,
        @Schema(description = "The piece index.", example = "0") int piece,
        @Schema(description = "Share of the profile's runs that read the piece, in (0, 1].", example = "0.6667")
        double share,
        @Schema(description = "Runs that read the piece.", example = "2") int runs) {

    static ProfileRowView of(ProfileRow row, int profileRuns) {
        return new ProfileRowView(row.meanFirstAccessMillis(), row.piece(), row.share(profileRuns), row.runs());
    }
}
