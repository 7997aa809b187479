package io.bootswarm.tracker.launch;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.List;
import java.util.UUID;

/**
 * What {@code POST /api/v1/launches/stops} did.
 *
 * @param imageId   the image
 * @param reason    the reason the STOP commands carry
 * @param launchIds the launches that were live and are now asked to stop, oldest first; empty when none was
 */
@Schema(description = "The launches a stop by image asked to stop")
record StoppedLaunches(UUID imageId, String reason, List<UUID> launchIds) {
}
