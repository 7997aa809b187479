package io.bootswarm.tracker.hosts;

import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/** Body of {@code POST /api/v1/hosts}: a node agent registers its host. */
@Schema(description = "A node agent registers its host (insert or update)")
record HostRegistration(
        @Schema(description = "Host name", example = "host-a")
        @NotNull @Pattern(regexp = Patterns.HOST_NAME, message = Patterns.HOST_NAME_MESSAGE)
        String name,
        @Schema(description = "Base URL of the agent's REST API", example = "http://10.0.1.7:8082")
        @NotNull @Size(max = 2048) @Pattern(regexp = Patterns.HTTP_URL, message = Patterns.HTTP_URL_MESSAGE)
        String apiUrl,
        @Schema(description = "Host name or IP address of the agent's peer wire", example = "10.0.1.7")
        @NotNull @Pattern(regexp = Patterns.HOST, message = Patterns.HOST_MESSAGE)
        String peerHost,
        @Schema(description = "Peer wire port", example = "6882")
        @NotNull @Min(1) @Max(65535)
        Integer peerPort) {
}
