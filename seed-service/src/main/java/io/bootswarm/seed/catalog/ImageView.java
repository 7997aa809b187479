package io.bootswarm.seed.catalog;

import io.swagger.v3.oas.annotations.media.Schema;

import java.time.Instant;
import java.util.UUID;

/**
 * An image as the REST API shows it.
 *
 * @param uploadedBytes bytes of this image the seed has served to peers since it started
 * @param rottenPieces  pieces whose bytes in the seed's file do not match the manifest (or cannot be read),
 *                      found since it started: the seed no longer offers them to peers
 */
@Schema(name = "Image", description = "A disk image in the seed's catalog.")
public record ImageView(
        @Schema(description = "The image's id.") UUID id,
        @Schema(description = "Unique name, matching " + ImageName.PATTERN + ".", example = "debian-12-generic")
        String name,
        @Schema(description = "Size in bytes.", example = "4294967296") long size,
        @Schema(description = "Bytes per piece (the last piece may be shorter).", example = "262144") int pieceSize,
        @Schema(description = "Number of pieces.", example = "16384") int pieceCount,
        @Schema(description = "Pieces whose bytes are all zero: never transferred.", example = "13600") int zeroPieces,
        @Schema(description = "Bytes in pieces that are not all zero: what a full copy moves over the network.")
        long nonZeroBytes,
        @Schema(description = "The 20-byte swarm id in hex: the BitTorrent v1 info hash of the image.",
                example = "5c1d4a0e8f3b6a2d9e7c1b0a4f6e8d2c3b5a7f90") String swarmId,
        @Schema(description = "When the image was catalogued.") Instant createdAt,
        @Schema(description = "Bytes of this image the seed has served to peers since it started.")
        long uploadedBytes,
        @Schema(description = "Pieces of the seed's file found rotten since it started: their bytes do not match "
                + "the manifest's SHA-256 or cannot be read. The seed offers them to no peer (agents fetch them from "
                + "other peers); 0 for a healthy file. Restore the file to serve them again.")
        int rottenPieces) {
}
