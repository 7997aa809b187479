package io.bootswarm.tracker.launch;

import java.util.UUID;

/** What the tracker needs of seed-service's image view. Other fields are ignored. */
record ImageInfo(UUID id, String name, long size) {
}
