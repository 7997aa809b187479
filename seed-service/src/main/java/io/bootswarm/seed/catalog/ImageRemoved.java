package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.SwarmId;

import java.util.UUID;

/**
 * Published (as a Spring application event, synchronously) right after the deletion of an image
 * has committed and before its file is deleted: whoever serves the image stops now.
 */
public record ImageRemoved(UUID imageId, String name, SwarmId swarmId) {
}
