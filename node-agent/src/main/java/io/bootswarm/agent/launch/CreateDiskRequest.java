package io.bootswarm.agent.launch;

import jakarta.validation.constraints.NotNull;

import java.util.UUID;

/**
 * Body of {@code POST /api/v1/disks}.
 *
 * @param imageId  the catalog image to present
 * @param launchId the fleet launch this disk belongs to, or null for a disk made by a local caller
 */
public record CreateDiskRequest(@NotNull UUID imageId, UUID launchId) {
}
