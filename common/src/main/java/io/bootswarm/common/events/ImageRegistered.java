package io.bootswarm.common.events;

import java.time.Instant;
import java.util.UUID;

/** seed-service imported an image; its manifest is at the seed's REST API. */
public record ImageRegistered(UUID eventId, Instant at, UUID imageId, String name, long size, int pieceSize,
                              int pieceCount, int zeroPieces, String swarmId) implements BootswarmEvent {
    @Override
    public String key() {
        return imageId.toString();
    }
}
