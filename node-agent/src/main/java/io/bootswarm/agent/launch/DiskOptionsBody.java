package io.bootswarm.agent.launch;

import io.bootswarm.common.launch.LaunchOptions;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

/**
 * The launch options as the agent's local REST API reads ({@link CreateDiskRequest}) and shows them
 * ({@link DiskView}): that API's form, kept apart from {@link LaunchOptions}, the Kafka event's form and
 * {@code disk.json}'s, so that each can change on its own. Its JSON field names are the API's.
 */
public record DiskOptionsBody(@Pattern(regexp = LaunchOptions.WORKLOAD_PATTERN) String workload,
                              LaunchOptions.Policy policy,
                              @Min(1) @Max(LaunchOptions.MAX_WINDOW) Integer window,
                              Boolean backgroundFill) {

    public static DiskOptionsBody of(LaunchOptions o) {
        return new DiskOptionsBody(o.workload(), o.policy(), o.window(), o.backgroundFill());
    }

    public LaunchOptions toLaunchOptions() {
        return new LaunchOptions(workload, policy, window, backgroundFill);
    }
}
