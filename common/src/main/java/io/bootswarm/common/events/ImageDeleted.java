package io.bootswarm.common.events;

import java.time.Instant;
import java.util.UUID;

/** seed-service removed an image from its catalog. */
public record ImageDeleted(UUID eventId, Instant at, UUID imageId, String name) implements BootswarmEvent {
    @Override
    public String key() {
        return imageId.toString();
    }
}
