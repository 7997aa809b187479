package io.bootswarm.seed.catalog;

import java.util.UUID;

/** How many pieces of an image's file the seed found rotten and no longer serves (for {@link ImageView}). */
@FunctionalInterface
public interface PieceHealth {

    int rottenPieces(UUID imageId);
}
