package io.bootswarm.seed.tracker;

/**
 * The body of {@code POST {tracker}/api/v1/seeds} as the seed sends it: who the seed is and where peers and
 * clients reach it. The tracker reads and validates the same JSON as its {@code SeedRegistration}.
 *
 * @param id       the seed's stable id
 * @param peerHost host peers connect to for the peer wire
 * @param peerPort the peer wire port
 * @param apiUrl   base URL of the seed's REST API (manifests live there)
 */
public record RegistrationBody(String id, String peerHost, int peerPort, String apiUrl) {
}
