package io.bootswarm.tracker.launch;

import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.util.List;
import java.util.UUID;

/** Body of {@code POST /api/v1/launches}. */
@Schema(description = "Run an image on a set of hosts")
record LaunchRequest(
        @Schema(description = "Image id in seed-service's catalog", example = "6a8b4c7e-1f2d-4e3a-9b5c-0d1e2f3a4b5c")
        @NotNull
        UUID imageId,
        @ArraySchema(arraySchema = @Schema(description = "Registered hosts that are UP, each named once"),
                schema = @Schema(example = "host-a"))
        @NotEmpty
        List<@NotNull @Pattern(regexp = Patterns.HOST_NAME, message = Patterns.HOST_NAME_MESSAGE) String> hosts,
        @Schema(description = "How the hosts stream the image: workload (names the access profile), policy DEMAND or "
                + "PROFILE (prefetch by the profile, window-randomized), window k, backgroundFill (fetch the rest "
                + "after the profile). Omitted fields take their defaults: default, PROFILE, 32, false.",
                nullable = true)
        @Valid
        LaunchOptionsBody options) {

    /** The options with defaults filled in. */
    LaunchOptions resolvedOptions() {
        return (options == null ? LaunchOptions.DEFAULTS : options.toLaunchOptions()).resolved();
    }
}
