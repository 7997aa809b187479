package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;
import java.time.Instant;
import java.util.UUID;

/**
 * The tracker asks one host's agent to start or stop its part of a launch. Agents apply it
 * idempotently: a second START for a launch they already run re-reports its state.
 *
 * @param options how the image is streamed; null (an older producer) means {@link LaunchOptions#DEFAULTS}
 */
public record LaunchCommand(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action,
                            @Nullable LaunchOptions options) implements BootswarmEvent {

    public enum Action { START, STOP }

    /** A command with the default {@link LaunchOptions}. */
    public LaunchCommand(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action) {
        this(eventId, at, launchId, host, imageId, action, null);
    }

    /** The options with defaults filled in. */
    public LaunchOptions resolvedOptions() {
        return (options == null ? LaunchOptions.DEFAULTS : options).resolved();
    }

    @Override
    public String key() {
        return host;
    }
}
