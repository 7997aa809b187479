package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;
import io.bootswarm.common.launch.LaunchOptions;

import java.time.Instant;
import java.util.UUID;

/**
 * The tracker asks one host's agent to start or stop its part of a launch. Agents apply it
 * idempotently: a second START for a launch they already run re-reports its state.
 *
 * @param options how the image is streamed; null (an older producer) means {@link LaunchOptions#DEFAULTS}
 * @param reason  for a STOP the tracker sends on its own account, why (a short code such as {@code image-deleted},
 *                which the agent logs and reports back as the host's detail); null for an orchestrator's stop,
 *                a START, or an older producer
 */
public record LaunchCommand(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action,
                            @Nullable Options options, @Nullable String reason) implements BootswarmEvent {

    public enum Action { START, STOP }

    /**
     * The launch options as the event carries them on {@code bootswarm.launch-commands}: the topic's
     * schema, kept apart from {@link LaunchOptions} and from the REST and on-disk forms because messages
     * already in the topic must still be read. Field names and the policy's constant names must not
     * change; a field may be added (older messages leave it null, which means its default).
     */
    public record Options(@Nullable String workload, LaunchOptions.@Nullable Policy policy, @Nullable Integer window,
                          @Nullable Boolean backgroundFill) {

        public static @Nullable Options of(@Nullable LaunchOptions o) {
            return o == null ? null : new Options(o.workload(), o.policy(), o.window(), o.backgroundFill());
        }

        public LaunchOptions toLaunchOptions() {
            return new LaunchOptions(workload, policy, window, backgroundFill);
        }
    }

    /** A command with the default {@link LaunchOptions}. */
    public LaunchCommand(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action) {
        this(eventId, at, launchId, host, imageId, action, null, null);
    }

    /** A command without a reason. */
    public LaunchCommand(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action,
                         @Nullable Options options) {
        this(eventId, at, launchId, host, imageId, action, options, null);
    }

    /** A STOP of one host's part of a launch, for {@code reason}. */
    public static LaunchCommand stop(UUID eventId, Instant at, UUID launchId, String host, UUID imageId,
                                     @Nullable String reason) {
        return new LaunchCommand(eventId, at, launchId, host, imageId, Action.STOP, null, reason);
    }

    /** A command carrying {@code options} in the event's form. */
    public static LaunchCommand of(UUID eventId, Instant at, UUID launchId, String host, UUID imageId, Action action,
                                   @Nullable LaunchOptions options) {
        return new LaunchCommand(eventId, at, launchId, host, imageId, action, Options.of(options));
    }

    /** The options with defaults filled in. */
    public LaunchOptions resolvedOptions() {
        return (options == null ? LaunchOptions.DEFAULTS : options.toLaunchOptions()).resolved();
    }

    @Override
    public String key() {
        return host;
    }
}
