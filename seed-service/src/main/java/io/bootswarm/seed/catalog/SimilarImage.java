package io.bootswarm.seed.catalog;

import io.swagger.v3.oas.annotations.media.Schema;

import java.util.UUID;

/** Another image sharing pieces with an image; shares are of each image's distinct non-zero pieces. */
@Schema(name = "SimilarImage", description = "Another image sharing pieces with this one.")
public record SimilarImage(
        @Schema(description = "The other image.") UUID imageId,
        @Schema(description = "Its name.") String name,
        @Schema(description = "Its swarm id (40 hex digits).") String swarmId,
        @Schema(description = "Distinct non-zero pieces both images contain.") long sharedPieces,
        @Schema(description = "Bytes of those pieces.") long sharedBytes,
        @Schema(description = "sharedPieces / distinct non-zero pieces of this image.") double shareOfThis,
        @Schema(description = "sharedPieces / distinct non-zero pieces of the other image.") double shareOfOther) {
}
