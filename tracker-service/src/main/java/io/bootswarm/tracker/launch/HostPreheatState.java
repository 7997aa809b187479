package io.bootswarm.tracker.launch;

import java.util.EnumSet;
import java.util.Set;

/** One host's part of a preheat. */
enum HostPreheatState {
    /** the start command is queued or on its way; the agent has not reported yet */
    PENDING,
    /** the agent is fetching the pieces */
    RUNNING,
    /** every piece of the preheat's set is on the host */
    DONE,
    /** the preheat was cancelled before it was done */
    CANCELLED,
    /** the agent could not preheat; see the detail */
    FAILED;

    /** States after which the host does nothing more for the preheat: a cancel is not sent to them. */
    static final Set<HostPreheatState> ENDED = EnumSet.of(DONE, CANCELLED, FAILED);
}
