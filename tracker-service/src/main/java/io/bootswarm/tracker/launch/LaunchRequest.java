package io.bootswarm.tracker.launch;

import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
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
        List<@NotNull @Pattern(regexp = Patterns.HOST_NAME, message = Patterns.HOST_NAME_MESSAGE) String> hosts) {
}
