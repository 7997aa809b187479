package io.bootswarm.tracker.launch;

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
    STOPPED
}
