package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Pattern;

/**
 * How a launch streams its image (VMTorrent §2.2.4): the workload names the access profile;
 * the policy says whether the agent only fetches what the hypervisor reads ({@code DEMAND}) or
 * also prefetches what the profile predicts, picking at random among the first {@code window}
 * pieces not yet present ({@code PROFILE}; window 1 is in order). With {@code backgroundFill}
 * the agent fetches the rest of the image, rarest first, once the profile is exhausted.
 * Any field left null takes its default.
 */
public record LaunchOptions(@Pattern(regexp = WORKLOAD_PATTERN) @Nullable String workload, @Nullable Policy policy,
                            @Min(1) @Max(MAX_WINDOW) @Nullable Integer window, @Nullable Boolean backgroundFill) {

    public enum Policy { DEMAND, PROFILE }

    /** What a workload may be called: {@code boot}, {@code web-bench-1.2}. */
    public static final String WORKLOAD_PATTERN = "[a-z0-9][a-z0-9._-]{0,63}";

    public static final int MAX_WINDOW = 100_000;

    public static boolean isValidWorkload(@Nullable String name) {
        return name != null && name.matches(WORKLOAD_PATTERN);
    }

    public static final String DEFAULT_WORKLOAD = "default";
    public static final int DEFAULT_WINDOW = 32;

    public static final LaunchOptions DEFAULTS = new LaunchOptions(null, null, null, null);

    /** This with every null field set to its default. */
    public LaunchOptions resolved() {
        return new LaunchOptions(workload == null || workload.isBlank() ? DEFAULT_WORKLOAD : workload,
                policy == null ? Policy.PROFILE : policy, window == null ? DEFAULT_WINDOW : window,
                backgroundFill != null && backgroundFill);
    }
}
