package io.bootswarm.seed.catalog;

import java.util.UUID;

/** How many bytes of an image the seed has served to peers since it started (for {@link ImageView}). */
@FunctionalInterface
public interface UploadStatistics {

    long uploadedBytes(UUID imageId);
}
