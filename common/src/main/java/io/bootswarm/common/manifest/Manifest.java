package io.bootswarm.common.manifest;

import java.util.Arrays;
import java.util.Objects;
import java.util.UUID;

/**
 * What an agent needs to fetch and verify an image: its size, the fleet-wide piece size, the
 * SHA-256 of every piece, which pieces are all zero (never transferred), and the swarm id.
 * Immutable.
 */
public final class Manifest {

    /** The fleet-wide default piece size: 256 KiB. */
    public static final int DEFAULT_PIECE_SIZE = 256 * 1024;

    private final UUID imageId;
    private final String name;
    private final long size;
    private final int pieceSize;
    private final SwarmId swarmId;
    private final PieceHash[] hashes;
    private final PieceSet zero;

    public Manifest(UUID imageId, String name, long size, int pieceSize, SwarmId swarmId,
                    PieceHash[] hashes, PieceSet zero) {
        this.imageId = Objects.requireNonNull(imageId);
        this.name = Objects.requireNonNull(name);
        this.swarmId = Objects.requireNonNull(swarmId);
        if (size <= 0 || pieceSize <= 0) {
            throw new IllegalArgumentException("size and piece size must be positive");
        }
        long count = (size + pieceSize - 1) / pieceSize;
        if (count > Integer.MAX_VALUE || hashes.length != count || zero.size() != count) {
            throw new IllegalArgumentException("manifest of " + size + " bytes in pieces of " + pieceSize
                    + " needs " + count + " pieces, has " + hashes.length + " hashes and "
                    + zero.size() + " zero flags");
        }
        this.size = size;
        this.pieceSize = pieceSize;
        this.hashes = hashes.clone();
        this.zero = new PieceSet(zero.size());
        zero.forEach(this.zero::add);
    }

    public UUID imageId() {
        return imageId;
    }

    public String name() {
        return name;
    }

    public long size() {
        return size;
    }

    public int pieceSize() {
        return pieceSize;
    }

    public SwarmId swarmId() {
        return swarmId;
    }

    public int pieceCount() {
        return hashes.length;
    }

    public PieceHash hash(int piece) {
        return hashes[piece];
    }

    public boolean isZero(int piece) {
        return zero.contains(piece);
    }

    public int zeroCount() {
        return zero.cardinality();
    }

    /** Bytes in pieces that are not all zero: what a full copy moves over the network. */
    public long nonZeroBytes() {
        long n = 0;
        for (int i = 0; i < hashes.length; i++) {
            if (!zero.contains(i)) {
                n += pieceLength(i);
            }
        }
        return n;
    }

    public long pieceOffset(int piece) {
        return (long) piece * pieceSize;
    }

    /** Length of {@code piece}: the piece size, or less for the last piece. */
    public int pieceLength(int piece) {
        if (piece < 0 || piece >= hashes.length) {
            throw new IndexOutOfBoundsException("piece " + piece + " of " + hashes.length);
        }
        return (int) Math.min(pieceSize, size - pieceOffset(piece));
    }

    /** The piece that holds byte {@code offset}. */
    public int pieceAt(long offset) {
        return (int) (offset / pieceSize);
    }

    public ManifestDocument toDocument() {
        byte[] packed = new byte[hashes.length * PieceHash.BYTES];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i].copyTo(packed, i * PieceHash.BYTES);
        }
        return new ManifestDocument(imageId, name, size, pieceSize, swarmId.hex(), packed, zero.toBitfield());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Manifest m && imageId.equals(m.imageId) && name.equals(m.name) && size == m.size
                && pieceSize == m.pieceSize && swarmId.equals(m.swarmId) && Arrays.equals(hashes, m.hashes)
                && Arrays.equals(zero.toBitfield(), m.zero.toBitfield());
    }

    @Override
    public int hashCode() {
        return Objects.hash(imageId, swarmId);
    }

    @Override
    public String toString() {
        return "Manifest[" + name + " " + imageId + ", " + size + " bytes, " + hashes.length + " pieces of "
                + pieceSize + ", " + zero.cardinality() + " zero]";
    }
}
