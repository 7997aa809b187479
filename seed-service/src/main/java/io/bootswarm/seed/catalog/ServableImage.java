package io.bootswarm.seed.catalog;

import java.nio.file.Path;
import java.util.UUID;

/**
 * What the peer wire server needs to serve an image: its geometry and its file.
 *
 * @param file absolute path of the image file
 */
public record ServableImage(UUID id, String name, long size, int pieceSize, int pieceCount, Path file) {
}
