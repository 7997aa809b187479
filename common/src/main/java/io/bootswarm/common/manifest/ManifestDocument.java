package io.bootswarm.common.manifest;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

    /** The largest piece size a document may declare (as {@link PieceSplitter} produces). */
    private static final int MAX_PIECE_SIZE = 64 * 1024 * 1024;

    /**
     * Checks the document and builds the manifest.
     *
     * @throws IllegalArgumentException if a field is missing or the parts disagree, including a
     *                                  piece flagged zero whose hash is not the hash of zeros
     */
    public Manifest toManifest() {
        if (imageId == null || name == null || swarmId == null || pieceHashes == null || zeroPieces == null) {
            throw new IllegalArgumentException("manifest document is missing a field");
        }
        if (size <= 0 || pieceSize <= 0 || pieceHashes.length % PieceHash.BYTES != 0) {
            throw new IllegalArgumentException("manifest document has a bad size, piece size or hash list");
        }
        if (pieceSize > MAX_PIECE_SIZE || pieceSize % 16384 != 0) {
            throw new IllegalArgumentException("manifest document has piece size " + pieceSize
                    + ", not a multiple of 16 KiB up to 64 MiB");
        }
        int count = pieceHashes.length / PieceHash.BYTES;
        PieceHash[] hashes = new PieceHash[count];
        for (int i = 0; i < count; i++) {
            hashes[i] = PieceHash.of(pieceHashes, i * PieceHash.BYTES);
        }
        Manifest m = new Manifest(imageId, name, size, pieceSize, SwarmId.parse(swarmId), hashes,
                PieceSet.fromBitfield(zeroPieces, count));
        checkZeroPieces(m);
        return m;
    }

    /** Zero pieces are never transferred, so a wrong flag would hand out zeros in place of data. */
    private static void checkZeroPieces(Manifest m) {
        PieceHash full = null;
        PieceHash last = null;
        for (int i = 0; i < m.pieceCount(); i++) {
            if (!m.isZero(i)) {
                continue;
            }
            int length = m.pieceLength(i);
            PieceHash expected;
            if (length == m.pieceSize()) {
                expected = full == null ? full = zeroHash(length) : full;
            } else {
                expected = last == null ? last = zeroHash(length) : last;
            }
            if (!m.hash(i).equals(expected)) {
                throw new IllegalArgumentException("piece " + i + " is flagged zero but its hash is not that of "
                        + length + " zero bytes");
            }
        }
    }

    private static PieceHash zeroHash(int length) {
        try {
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            byte[] zeros = new byte[Math.min(length, 64 * 1024)];
            for (int done = 0; done < length; done += zeros.length) {
                sha256.update(zeros, 0, Math.min(zeros.length, length - done));
            }
            return PieceHash.of(sha256.digest(), 0);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JDK", e);
        }
    }
}
