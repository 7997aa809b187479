package io.bootswarm.tracker.launch;

import java.util.Collection;

/** A launch's overall state, derived from its hosts' states. */
enum LaunchState {
    /** no host has reported yet */
    PENDING,
    /** some hosts are still pending or preparing */
    PREPARING,
    /** every host is ready */
    READY,
    /** every host has finished, some ready and some failed or stopped */
    PARTIAL,
    /** every host has finished and none is ready (failed, or failed and stopped) */
    FAILED,
    /** every host has stopped */
    STOPPED;

    /**
     * The overall state of a launch whose hosts are in {@code hosts}:
     * <ol>
     * <li>all STOPPED → STOPPED;</li>
     * <li>any PENDING or PREPARING → PENDING when all are PENDING, else PREPARING;</li>
     * <li>all READY → READY;</li>
     * <li>none READY → FAILED;</li>
     * <li>otherwise (some READY, the rest FAILED or STOPPED) → PARTIAL.</li>
     * </ol>
     */
    static LaunchState derive(Collection<HostLaunchState> hosts) {
        if (hosts.isEmpty()) {
            throw new IllegalArgumentException("a launch has at least one host");
        }
        if (hosts.stream().allMatch(s -> s == HostLaunchState.STOPPED)) {
            return STOPPED;
        }
        if (hosts.stream().anyMatch(s -> s == HostLaunchState.PENDING || s == HostLaunchState.PREPARING)) {
            return hosts.stream().allMatch(s -> s == HostLaunchState.PENDING) ? PENDING : PREPARING;
        }
        long ready = hosts.stream().filter(s -> s == HostLaunchState.READY).count();
        if (ready == hosts.size()) {
            return READY;
        }
        return ready == 0 ? FAILED : PARTIAL;
    }
}
