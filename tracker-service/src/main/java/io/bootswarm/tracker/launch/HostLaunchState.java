package io.bootswarm.tracker.launch;

import java.util.EnumSet;
import java.util.Set;

/** One host's part of a launch. */
enum HostLaunchState {
    /** the start command is queued or on its way; the agent has not reported yet */
    PENDING,
    /** the agent is setting the disk up */
    PREPARING,
    /** the disk is exported; the NBD URIs are set */
    READY,
    /** the agent could not set it up; see the detail */
    FAILED,
    /** the agent tore it down */
    STOPPED;

    /**
     * The states of a host that runs, or is about to run, its part: a launch with a host in one of them and no
     * stop requested is live.
     */
    static final Set<HostLaunchState> LIVE = EnumSet.of(PENDING, PREPARING, READY);
}
