package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.PreheatCommand;
import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A preheat as the API shows it.
 *
 * @param cancelRequestedAt when DELETE asked the hosts to cancel, or null
 * @param hosts             per host, in the order the request named them
 */
@Schema(description = "A preheat with its per-host progress")
record PreheatView(UUID id, UUID imageId, String imageName, String workload, PreheatCommand.Scope scope,
                   Instant createdAt, @Schema(nullable = true) Instant cancelRequestedAt,
                   List<PreheatHostView> hosts) {
}
