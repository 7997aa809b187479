package io.bootswarm.profile.model;

import io.bootswarm.common.launch.LaunchOptions;

/** Workload names: what a launch calls the work its VM does ({@code boot}, {@code web-bench-1.2}). */
public final class WorkloadNames {

    public static final String PATTERN = LaunchOptions.WORKLOAD_PATTERN;

    private WorkloadNames() {
    }

    public static boolean isValid(String name) {
        return LaunchOptions.isValidWorkload(name);
    }
}
