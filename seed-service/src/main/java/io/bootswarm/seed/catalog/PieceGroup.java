package io.bootswarm.seed.catalog;

import io.swagger.v3.oas.annotations.media.Schema;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * A piece group: the distinct non-zero pieces contained by exactly the same set of images, one of
 * Wu et al.'s per-chunk swarms with every chunk of the same images merged. Any agent of any of
 * those images can serve the group's pieces to any other.
 *
 * @param groupId  {@link #idOf}: stable as long as the same set of images exists
 * @param imageIds the images containing every piece of the group and no other image containing any,
 *                 in the order of their canonical text
 * @param pieces   distinct pieces in the group
 * @param bytes    their bytes
 */
@Schema(name = "PieceGroup", description = "Pieces contained by exactly the same set of images.")
public record PieceGroup(
        @Schema(description = "32 hex digits: the first 16 bytes of the SHA-256 of the image ids (lowercase "
                + "canonical text, sorted, joined by ',').", example = "6b2f0c4de1a95f3b7c80e2d41f6a9b35")
        String groupId,
        @Schema(description = "The images containing these pieces, sorted as text.") List<UUID> imageIds,
        @Schema(description = "Distinct pieces in the group.") long pieces,
        @Schema(description = "Their bytes (distinct pieces counted once).") long bytes) {

    public PieceGroup {
        imageIds = List.copyOf(imageIds);
    }

    /**
     * The id of the group of {@code images}: hex of the first 16 bytes of SHA-256 over the images'
     * lowercase canonical UUID texts, sorted as text, joined by {@code ','}.
     */
    public static String idOf(List<UUID> images) {
        String joined = String.join(",", sorted(images).stream().map(UUID::toString).toList());
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(joined.getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(digest, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The images sorted as {@link #idOf} sorts them. */
    static List<UUID> sorted(List<UUID> images) {
        return images.stream().sorted(Comparator.comparing(UUID::toString)).distinct().toList();
    }
}
