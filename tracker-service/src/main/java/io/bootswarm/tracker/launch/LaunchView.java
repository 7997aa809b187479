package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * A launch as the API shows it.
 *
 * @param id              the launch id
 * @param imageId         the image launched
 * @param imageName       its name in seed-service's catalog when the launch was created
 * @param imageSize       its size in bytes
 * @param createdAt       when the launch was created
 * @param stopRequestedAt when DELETE asked the hosts to stop, or null
 * @param state           overall state derived from the hosts' states
 * @param hosts           per host, in the order the request named them
 */
@Schema(description = "A fleet launch with its per-host progress")
record LaunchView(UUID id, UUID imageId, String imageName, long imageSize, Instant createdAt,
                         @Schema(nullable = true) Instant stopRequestedAt, LaunchOptionsBody options, LaunchState state,
                         List<LaunchHostView> hosts) {
}
