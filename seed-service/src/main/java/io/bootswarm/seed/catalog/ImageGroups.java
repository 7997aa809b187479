package io.bootswarm.seed.catalog;

import java.util.List;
import java.util.UUID;

/**
 * The piece groups of one image at one catalog version: the groups its pieces fall in, and for each
 * of its pieces the index of its group ({@code -1} for all-zero pieces, which are never sent).
 *
 * @param version    the catalog version the groups were computed at ({@link PieceIndex#version()})
 * @param pieceCount pieces of the image
 * @param groups     the image's groups, largest (bytes) first
 */
public record ImageGroups(UUID imageId, String version, int pieceCount, List<PieceGroup> groups, int[] pieceGroup) {

    public ImageGroups {
        groups = List.copyOf(groups);
        if (pieceGroup.length != pieceCount) {
            throw new IllegalArgumentException(pieceGroup.length + " group indexes for " + pieceCount + " pieces");
        }
    }

    /** The index into {@link #groups()} of the group of {@code piece}, or -1 for an all-zero piece. */
    public int groupOf(int piece) {
        return pieceGroup[piece];
    }
}
