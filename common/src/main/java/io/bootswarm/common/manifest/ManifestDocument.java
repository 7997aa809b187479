package io.bootswarm.common.manifest;

import java.util.UUID;

/**
 * The JSON form of a {@link Manifest}, compact enough for multi-GB images: the piece hashes are
 * one base64 string of 32 bytes per piece, and the zero pieces a base64 BEP 3 bitfield.
 *
 * @param pieceHashes SHA-256 of every piece, concatenated in piece order
 * @param zeroPieces  bitfield of the pieces whose bytes are all zero
 */
public record ManifestDocument(UUID imageId, String name, long size, int pieceSize, String swarmId,
                               byte[] pieceHashes, byte[] zeroPieces) {

    /**
     * Checks the document and builds the manifest.
     *
     * @throws IllegalArgumentException if a field is missing or the parts disagree
     */
    public Manifest toManifest() {
        if (imageId == null || name == null || swarmId == null || pieceHashes == null || zeroPieces == null) {
            throw new IllegalArgumentException("manifest document is missing a field");
        }
        if (size <= 0 || pieceSize <= 0 || pieceHashes.length % PieceHash.BYTES != 0) {
            throw new IllegalArgumentException("manifest document has a bad size, piece size or hash list");
        }
        int count = pieceHashes.length / PieceHash.BYTES;
        PieceHash[] hashes = new PieceHash[count];
        for (int i = 0; i < count; i++) {
            hashes[i] = PieceHash.of(pieceHashes, i * PieceHash.BYTES);
        }
        return new Manifest(imageId, name, size, pieceSize, SwarmId.parse(swarmId), hashes,
                PieceSet.fromBitfield(zeroPieces, count));
    }
}
