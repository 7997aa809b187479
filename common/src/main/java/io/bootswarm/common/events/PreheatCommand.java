package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.UUID;

/**
 * The tracker asks one host's agent to start or cancel a preheat: fetching an image's pieces into the host's
 * cache through the swarm before any launch of it. It travels on {@link Topics#LAUNCH_COMMANDS} beside the
 * {@link LaunchCommand}s (same key, the host; same ACLs), and agents that do not know it skip it. Agents apply it
 * idempotently: a second START of a preheat they run changes nothing, a CANCEL of one they do not run reports
 * CANCELLED.
 *
 * @param workload the access profile whose pieces a {@link Scope#PROFILE} preheat fetches; null means
 *                 {@code default}
 * @param scope    what to fetch; null (on a CANCEL) means nothing
 */
public record PreheatCommand(UUID eventId, Instant at, UUID preheatId, String host, UUID imageId, Action action,
                             @Nullable String workload, @Nullable Scope scope) implements BootswarmEvent {

    public enum Action { START, CANCEL }

    /** What a preheat fetches: the pieces of the image's access profile, or every non-zero piece. */
    public enum Scope { PROFILE, ALL }

    @Override
    public String key() {
        return host;
    }
}
