package io.bootswarm.agent.launch;

import io.bootswarm.common.launch.LaunchOptions;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;

import java.util.UUID;

/**
 * Body of {@code POST /api/v1/disks}.
 *
 * @param imageId  the catalog image to present
 * @param launchId the fleet launch this disk belongs to, or null for a disk made by a local caller
 * @param options  workload, piece selection policy, window and background fill; defaults when null
 */
public record CreateDiskRequest(@NotNull UUID imageId, UUID launchId, @Valid DiskOptionsBody options) {

    LaunchOptions launchOptions() {
        return options == null ? LaunchOptions.DEFAULTS : options.toLaunchOptions();
    }
}
