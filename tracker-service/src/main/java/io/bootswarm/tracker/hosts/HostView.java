package io.bootswarm.tracker.hosts;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;

/**
 * A registered host as the API shows it.
 *
 * @param name          the host's name
 * @param apiUrl        base URL of its node agent's REST API
 * @param peerHost      where its agent's peer wire listens
 * @param peerPort      that port
 * @param state         UP while it heartbeats, DOWN after {@code bootswarm.tracker.host-timeout} without
 * @param lastHeartbeat its last heartbeat (or registration)
 * @param registeredAt  its first registration
 */
@Schema(description = "A host (node agent) registered with the tracker")
public record HostView(
        @Schema(example = "host-a") String name,
        @Schema(example = "http://10.0.1.7:8082") String apiUrl,
        @Schema(example = "10.0.1.7") String peerHost,
        @Schema(example = "6882") int peerPort,
        HostState state,
        Instant lastHeartbeat,
        Instant registeredAt) {
}
