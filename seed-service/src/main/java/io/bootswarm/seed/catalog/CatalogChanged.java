package io.bootswarm.seed.catalog;

import java.util.UUID;

/**
 * Published (as a Spring application event, synchronously) after an image was added or deleted
 * and the change committed: piece groups may have changed (a new image containing some of a
 * group's pieces splits it), so whoever keeps them recomputes.
 *
 * @param added true for an added image, false for a deleted one
 */
public record CatalogChanged(UUID imageId, boolean added) {
}
