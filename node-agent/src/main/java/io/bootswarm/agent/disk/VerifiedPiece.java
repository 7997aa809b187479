package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.PieceHash;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * Piece bytes whose SHA-256 matched the expected hash. The only way to make one is
 * {@link #verify}, so the piece store and readers can only ever see verified content.
 */
public final class VerifiedPiece {

    private final PieceHash hash;
    private final byte[] data;
    private final int length;

    private VerifiedPiece(PieceHash hash, byte[] data, int length) {
        this.hash = hash;
        this.data = data;
        this.length = length;
    }

    /**
     * Checks {@code data[0, length)} against {@code expected}. The array is taken over, not copied:
     * the caller must not change it afterwards.
     */
    public static Optional<VerifiedPiece> verify(PieceHash expected, byte[] data, int length) {
        MessageDigest sha256;
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        sha256.update(data, 0, length);
        return expected.matches(sha256.digest()) ? Optional.of(new VerifiedPiece(expected, data, length))
                : Optional.empty();
    }

    public PieceHash hash() {
        return hash;
    }

    public int length() {
        return length;
    }

    /** The verified bytes, {@code [0, length())}; do not modify. */
    byte[] data() {
        return data;
    }
}
