package io.bootswarm.seed.catalog;

import io.swagger.v3.oas.annotations.media.Schema;

import java.nio.ByteBuffer;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/** The answer of {@code GET /api/v1/images/{id}/groups}. */
@Schema(name = "PieceGroups", description = """
        The piece groups of an image: its distinct non-zero pieces grouped by the exact set of images \
        containing them (Wu et al.'s per-chunk swarms). Groups change when images are added or deleted: \
        `version` (also the ETag) names the catalog they were computed for; refetch when it changes.""")
public record GroupsDocument(
        @Schema(description = "The image.") UUID imageId,
        @Schema(description = "The catalog version (16 hex digits): changes whenever an image is added or deleted.")
        String version,
        @Schema(description = "Pieces of the image.") int pieceCount,
        @Schema(description = "The groups the image's pieces fall in, most bytes first.") List<PieceGroup> groups,
        @Schema(description = "Base64 of one big-endian int32 per piece of the image: the index of its group in "
                + "`groups`, or -1 for an all-zero piece.") String pieceGroups) {

    static GroupsDocument of(ImageGroups g) {
        ByteBuffer b = ByteBuffer.allocate(4 * g.pieceCount());
        for (int p = 0; p < g.pieceCount(); p++) {
            b.putInt(g.groupOf(p));
        }
        return new GroupsDocument(g.imageId(), g.version(), g.pieceCount(), g.groups(),
                Base64.getEncoder().encodeToString(b.array()));
    }
}
