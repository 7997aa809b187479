package io.bootswarm.common.events;

import java.time.Instant;
import java.util.UUID;

/**
 * An agent reports on its part of a launch: ready (with the NBD URIs), progress, failed or
 * stopped. {@code sequence} grows with every report an agent sends for one launch, so the
 * tracker can drop reports that arrive late or twice.
 *
 * @param nbdUri       {@code nbd://host:port/export}, once ready
 * @param nbdUnixUri   {@code nbd+unix:///export?socket=path}, once ready, when the agent has a Unix socket
 * @param piecesPresent non-zero pieces on the host, verified
 * @param piecesTotal   non-zero pieces in the image
 * @param detail        why it failed, or null
 */
public record LaunchStatus(UUID eventId, Instant at, UUID launchId, String host, State state, long sequence,
                           String nbdUri, String nbdUnixUri, int piecesPresent, int piecesTotal, long bytesFetched,
                           String detail) implements BootswarmEvent {

    public enum State { PREPARING, READY, FAILED, STOPPED }

    @Override
    public String key() {
        return launchId.toString();
    }
}
