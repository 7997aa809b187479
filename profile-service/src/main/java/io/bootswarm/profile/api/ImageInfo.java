package io.bootswarm.profile.api;

import java.util.UUID;

/** What profile-service needs of seed-service's image view. Other fields are ignored. */
record ImageInfo(UUID id, long size, int pieceSize) {
}
