package io.bootswarm.tracker.seeds;

import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** Body of {@code POST /api/v1/seeds}: a seed registers, and re-registers as its heartbeat. */
@Schema(description = "A seed registers itself; sending it again is the seed's heartbeat")
record SeedRegistration(
        @Schema(description = "Stable id of the seed (its 40-hex peer id, or a name)", example = "seed-1")
        @NotNull @Pattern(regexp = "[A-Za-z0-9._:-]{1,128}", message = "must be 1-128 of A-Z a-z 0-9 . _ : -")
        String id,
        @Schema(description = "Host name or IP address of the seed's peer wire; kept only when the seed calls "
                + "from a trusted network (bootswarm.tracker.announce.trusted-networks), else the source address "
                + "of its connection is used", example = "10.0.0.5")
        @NotNull @Pattern(regexp = Patterns.HOST, message = Patterns.HOST_MESSAGE)
        String peerHost,
        @Schema(description = "Peer wire port", example = "6881")
        @NotNull @Min(1) @Max(65535)
        Integer peerPort,
        @Schema(description = "Base URL of the seed's REST API", example = "http://10.0.0.5:8081")
        @NotNull @Size(max = 2048) @Pattern(regexp = Patterns.HTTP_URL, message = Patterns.HTTP_URL_MESSAGE)
        String apiUrl) {
}
