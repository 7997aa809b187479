package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;

import java.time.Instant;
import java.util.UUID;

/**
 * An agent reports on its part of a preheat: progress while it runs, then how it ended. It travels on
 * {@link Topics#LAUNCH_STATUS} beside the {@link LaunchStatus}es. {@code sequence} grows with every report an
 * agent sends for one preheat, so the tracker can drop reports that arrive late or twice.
 *
 * @param piecesDone   pieces of the preheat's set on the host, verified (fetched by it or there before)
 * @param piecesTotal  pieces in the preheat's set (non-zero pieces of the profile, or of the image)
 * @param bytesFetched bytes this preheat fetched from the swarm
 * @param detail       why it failed, or null
 */
public record PreheatStatus(UUID eventId, Instant at, UUID preheatId, String host, State state, long sequence,
                            int piecesDone, int piecesTotal, long bytesFetched, @Nullable String detail)
        implements BootswarmEvent {

    public enum State { RUNNING, DONE, CANCELLED, FAILED }

    @Override
    public String key() {
        return preheatId.toString();
    }
}
