package io.bootswarm.tracker.swarm;

import io.bootswarm.tracker.web.Patterns;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.PositiveOrZero;

/** Body of {@code POST /api/v1/announce}. */
@Schema(description = "An agent announces itself in a swarm and asks for peers")
record AnnounceRequest(
        @Schema(description = "The swarm: the image's 20-byte info hash in hex", example = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c")
        @NotNull @Pattern(regexp = "[0-9a-fA-F]{40}", message = "must be 40 hex digits")
        String swarmId,
        @Schema(description = "The announcing peer's 20-byte id in hex", example = "2d42533030312d000102030405060708090a0b0c")
        @NotNull @Pattern(regexp = "[0-9a-fA-F]{40}", message = "must be 40 hex digits")
        String peerId,
        @Schema(description = "Address other peers dial it at; kept only when the agent calls from a trusted "
                + "network (bootswarm.tracker.announce.trusted-networks), else its connection's source address "
                + "is used", example = "10.0.1.7")
        @NotNull @Pattern(regexp = Patterns.HOST, message = Patterns.HOST_MESSAGE)
        String host,
        @Schema(description = "Its peer wire port", example = "6882")
        @NotNull @Min(1) @Max(65535)
        Integer port,
        @Schema(description = "Bytes it still lacks; 0 means it has the whole image", example = "4294967296")
        @NotNull @PositiveOrZero
        Long left,
        @Schema(description = "Bytes uploaded so far", example = "0")
        @PositiveOrZero
        Long uploaded,
        @Schema(description = "Bytes downloaded so far", example = "0")
        @PositiveOrZero
        Long downloaded,
        @Schema(description = "started, completed, stopped, or absent/empty for a regular announce",
                allowableValues = {"started", "completed", "stopped"}, nullable = true)
        @Pattern(regexp = "(started|completed|stopped)?", message = "must be started, completed, stopped or empty")
        String event,
        @Schema(description = "How many swarm peers it wants (seeds come on top); default 50, capped at 200", example = "50")
        @PositiveOrZero
        Integer numWant) {
}
