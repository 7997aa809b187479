package io.bootswarm.common.launch;

import org.jspecify.annotations.Nullable;

/**
 * How a launch streams its image (VMTorrent §2.2.4): the workload names the access profile;
 * the policy says whether the agent only fetches what the hypervisor reads ({@code DEMAND}) or
 * also prefetches what the profile predicts, picking at random among the first {@code window}
 * pieces not yet present ({@code PROFILE}; window 1 is in order). With {@code backgroundFill}
 * the agent fetches the rest of the image, rarest first, once the profile is exhausted.
 * Any field left null takes its default ({@link #resolved()}).
 *
 * <p>The value the tracker and the agent work with, in no format of its own. What crosses a boundary
 * has its own form with an explicit mapping, so that each can change at its own pace: the Kafka event
 * ({@link io.bootswarm.common.events.LaunchCommand.Options}, read back from topics that keep old
 * messages), the REST bodies (tracker-service's launch request and view, the agent's disk request and
 * view: the public API) and the agent's on-disk {@code disk.json} (read back after an upgrade). Today all
 * of them use these field names and the names of {@link Policy}'s constants.
 */
public record LaunchOptions(@Nullable String workload, @Nullable Policy policy, @Nullable Integer window,
                            @Nullable Boolean backgroundFill) {

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

    /** {@code options}, or the defaults when null. */
    public static LaunchOptions orDefaults(@Nullable LaunchOptions options) {
        return options == null ? DEFAULTS : options;
    }

    /** This with every null field set to its default. */
    public LaunchOptions resolved() {
        return new LaunchOptions(workload == null || workload.isBlank() ? DEFAULT_WORKLOAD : workload,
                policy == null ? Policy.PROFILE : policy, window == null ? DEFAULT_WINDOW : window,
                backgroundFill != null && backgroundFill);
    }
}
