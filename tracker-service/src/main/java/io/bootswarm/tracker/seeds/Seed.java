package io.bootswarm.tracker.seeds;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;

/**
 * A live seed-service instance: it holds every image and serves pieces on its peer address.
 *
 * @param id       the seed's id as it registered (its peer id, or any stable name)
 * @param peerHost where the seed's peer wire listens
 * @param peerPort that port
 * @param apiUrl   the seed's REST base URL
 * @param lastSeen when it last registered (seeds re-register as their heartbeat)
 */
@Schema(description = "A live seed-service instance")
public record Seed(String id, String peerHost, int peerPort, String apiUrl, Instant lastSeen) {
}
