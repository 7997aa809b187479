package io.bootswarm.tracker.launch;

import io.bootswarm.common.launch.LaunchOptions;
import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

/**
 * The launch options as the tracker's REST API reads ({@code POST /api/v1/launches}) and shows them
 * ({@link LaunchView}): the public API's form, kept apart from {@link LaunchOptions} and from the Kafka
 * and on-disk forms so that the API can be versioned on its own. Its JSON field names are the API's.
 */
@Schema(description = "How the hosts stream the image")
record LaunchOptionsBody(
        @Schema(description = "Names the access profile to prefetch by", example = "boot", nullable = true)
        @Pattern(regexp = LaunchOptions.WORKLOAD_PATTERN)
        String workload,
        @Schema(description = "DEMAND (fetch what the guest reads) or PROFILE (also prefetch by the profile)",
                nullable = true)
        LaunchOptions.Policy policy,
        @Schema(description = "Prefetch window k: pick at random among the first k missing profile pieces",
                example = "32", nullable = true)
        @Min(1) @Max(LaunchOptions.MAX_WINDOW)
        Integer window,
        @Schema(description = "Fetch the rest of the image, rarest first, after the profile", nullable = true)
        Boolean backgroundFill) {

    static LaunchOptionsBody of(LaunchOptions o) {
        return new LaunchOptionsBody(o.workload(), o.policy(), o.window(), o.backgroundFill());
    }

    LaunchOptions toLaunchOptions() {
        return new LaunchOptions(workload, policy, window, backgroundFill);
    }
}
