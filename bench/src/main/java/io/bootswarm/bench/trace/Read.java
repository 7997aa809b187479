package io.bootswarm.bench.trace;

/**
 * One read of a block-access trace: issued {@code micros} after the trace's first request, of
 * {@code length} bytes at byte {@code offset} of the raw image.
 */
public record Read(long micros, long offset, int length) {

    public Read {
        if (micros < 0 || offset < 0 || length < 0) {
            throw new IllegalArgumentException("read out of range: " + micros + " µs, " + offset + ", " + length);
        }
    }

    /** First piece the read touches. */
    public int firstPiece(int pieceSize) {
        return (int) (offset / pieceSize);
    }

    /** Last piece the read touches (the first one for a read of length 0). */
    public int lastPiece(int pieceSize) {
        return length == 0 ? firstPiece(pieceSize) : (int) ((offset + length - 1) / pieceSize);
    }

    public long end() {
        return offset + length;
    }
}
