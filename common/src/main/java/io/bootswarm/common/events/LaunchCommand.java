package io.bootswarm.common.events;

import java.time.Instant;
import java.util.UUID;

/**
 * The tracker asks one host's agent to start or stop its part of a launch. Agents apply it
 * idempotently: a second START for a launch they already run re-reports its state.
 */
public record LaunchCommand(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action)
        implements BootswarmEvent {

    public enum Action { START, STOP }

    @Override
    public String key() {
        return host;
    }
}
