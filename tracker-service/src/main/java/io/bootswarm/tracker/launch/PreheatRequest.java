package io.bootswarm.tracker.launch;

import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.util.List;
import java.util.UUID;

/**
 * Body of {@code POST /api/v1/preheats}. {@code scope} is text, checked by the service, so that a wrong one is
 * answered with its own problem ({@code invalid-scope}) rather than as a malformed body.
 */
@Schema(description = "Fetch an image's pieces into hosts' caches ahead of a launch")
record PreheatRequest(
        @Schema(description = "Image id in seed-service's catalog") @NotNull UUID imageId,
        @ArraySchema(arraySchema = @Schema(description = "Registered hosts that are UP, each named once"),
                schema = @Schema(example = "host-a"))
        @NotEmpty
        List<@NotNull @Pattern(regexp = Patterns.HOST_NAME, message = Patterns.HOST_NAME_MESSAGE) String> hosts,
        @Schema(description = "The access profile a `profile` preheat fetches (default `default`)", nullable = true,
                example = "boot") String workload,
        @Schema(description = "`profile` (the profile's pieces, the default) or `all` (every non-zero piece)",
                nullable = true, allowableValues = {"profile", "all"}) String scope) {
}
