package io.bootswarm.profile.api;

import java.util.UUID;

/**
 * An image's size and piece size: what profile-service needs of seed-service's image view
 * ({@code GET /api/v1/images/{id}}, asked by {@link ImageSizeClient}). Other fields are ignored.
 */
record ImageSize(UUID id, long size, int pieceSize) {
}
