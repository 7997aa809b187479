package io.bootswarm.agent.launch;

import io.bootswarm.common.events.LaunchOptions;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;

import java.util.UUID;

/**
 * Body of {@code POST /api/v1/disks}.
 *
 * @param imageId  the catalog image to present
 * @param launchId the fleet launch this disk belongs to, or null for a disk made by a local caller
 * @param options  workload, piece selection policy, window and background fill; defaults when null
 */
public record CreateDiskRequest(@NotNull UUID imageId, UUID launchId, @Valid LaunchOptionsRequest options) {

    /** Launch options as a caller sends them, checked. */
    public record LaunchOptionsRequest(@Pattern(regexp = "[a-z0-9][a-z0-9._-]{0,63}") String workload,
                                       LaunchOptions.Policy policy, @Min(1) @Max(100_000) Integer window,
                                       Boolean backgroundFill) {
        LaunchOptions toOptions() {
            return new LaunchOptions(workload, policy, window, backgroundFill);
        }
    }

    LaunchOptions launchOptions() {
        return options == null ? LaunchOptions.DEFAULTS : options.toOptions();
    }
}
