package io.bootswarm.tracker.hosts;

/** Whether a host's agent is heartbeating. */
public enum HostState {
    /** heartbeat within {@code bootswarm.tracker.host-timeout} */
    UP,
    /** no heartbeat for longer than {@code bootswarm.tracker.host-timeout} */
    DOWN
}
