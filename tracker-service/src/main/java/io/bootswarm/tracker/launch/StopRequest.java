package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.util.UUID;

/** Body of {@code POST /api/v1/launches/stops}. */
@Schema(description = "Stop every live launch of an image, for a reason")
record StopRequest(
        @Schema(description = "Image whose live launches stop", example = "6a8b4c7e-1f2d-4e3a-9b5c-0d1e2f3a4b5c")
        @NotNull
        UUID imageId,
        @Schema(description = "Why, as a short code the agents log and report back as each host's detail",
                example = "image-deleted")
        @NotNull
        @Pattern(regexp = StopRequest.REASON, message = "must match " + StopRequest.REASON)
        String reason) {

    /** A reason is a code, not prose: it goes into agents' logs and launch views as it is. */
    static final String REASON = "[a-z][a-z0-9-]{0,62}";
}
