package io.bootswarm.common.manifest;

import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * The SHA-256 of a piece's content: the name a piece goes by everywhere in the fleet.
 * Held as four longs (big-endian order of the digest) so that it is cheap as a map key.
 */
public record PieceHash(long w0, long w1, long w2, long w3) {

    /** Length of a SHA-256 digest in bytes. */
    public static final int BYTES = 32;

    /** Reads a digest from {@code bytes} starting at {@code offset}. */
    public static PieceHash of(byte[] bytes, int offset) {
        ByteBuffer b = ByteBuffer.wrap(bytes, offset, BYTES);
        return new PieceHash(b.getLong(), b.getLong(), b.getLong(), b.getLong());
    }

    /** Parses 64 hex digits. */
    public static PieceHash parse(String hex) {
        if (hex.length() != 2 * BYTES) {
            throw new IllegalArgumentException("a piece hash has 64 hex digits, got " + hex.length());
        }
        return of(HexFormat.of().parseHex(hex), 0);
    }

    /** Writes the 32 digest bytes into {@code dst} at {@code offset}. */
    public void copyTo(byte[] dst, int offset) {
        ByteBuffer.wrap(dst, offset, BYTES).putLong(w0).putLong(w1).putLong(w2).putLong(w3);
    }

    public byte[] toBytes() {
        byte[] out = new byte[BYTES];
        copyTo(out, 0);
        return out;
    }

    /** True when {@code digest} (32 bytes) is this hash. */
    public boolean matches(byte[] digest) {
        return digest.length == BYTES && equals(of(digest, 0));
    }

    @Override
    public String toString() {
        return HexFormat.of().formatHex(toBytes());
    }
}
