package io.bootswarm.common.manifest;

import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;

/**
 * A thread-safe set of piece indexes in {@code [0, size)}: which pieces a peer holds, which are
 * zero, which a store has verified. Converts to and from the BitTorrent bitfield layout (BEP 3:
 * piece 0 is the high bit of the first byte, spare bits at the end are zero).
 */
public final class PieceSet {

    private final int size;
    private final AtomicLongArray words;

    public PieceSet(int size) {
        if (size < 0) {
            throw new IllegalArgumentException("negative size");
        }
        this.size = size;
        this.words = new AtomicLongArray((size + 63) >>> 6);
    }

    /** A set holding every index in {@code [0, size)}. */
    public static PieceSet full(int size) {
        PieceSet s = new PieceSet(size);
        for (int i = 0; i < size; i++) {
            s.add(i);
        }
        return s;
    }

    /**
     * Reads a BEP 3 bitfield.
     *
     * @throws IllegalArgumentException if the length is not {@code ceil(size/8)} or a spare bit is set
     */
    public static PieceSet fromBitfield(byte[] bitfield, int size) {
        if (bitfield.length != bitfieldLength(size)) {
            throw new IllegalArgumentException(
                    "bitfield of " + bitfield.length + " bytes for " + size + " pieces");
        }
        PieceSet s = new PieceSet(size);
        for (int i = 0; i < bitfield.length * 8; i++) {
            if ((bitfield[i >>> 3] & (0x80 >>> (i & 7))) != 0) {
                if (i >= size) {
                    throw new IllegalArgumentException("spare bit " + i + " set in bitfield");
                }
                s.add(i);
            }
        }
        return s;
    }

    public static int bitfieldLength(int size) {
        return (size + 7) >>> 3;
    }

    public int size() {
        return size;
    }

    public boolean contains(int index) {
        check(index);
        return (words.get(index >>> 6) & (1L << index)) != 0;
    }

    /** Adds {@code index}; true if it was not there before. */
    public boolean add(int index) {
        check(index);
        long bit = 1L << index;
        int w = index >>> 6;
        while (true) {
            long old = words.get(w);
            if ((old & bit) != 0) {
                return false;
            }
            if (words.compareAndSet(w, old, old | bit)) {
                return true;
            }
        }
    }

    /** Removes {@code index}; true if it was there before. */
    public boolean remove(int index) {
        check(index);
        long bit = 1L << index;
        int w = index >>> 6;
        while (true) {
            long old = words.get(w);
            if ((old & bit) == 0) {
                return false;
            }
            if (words.compareAndSet(w, old, old & ~bit)) {
                return true;
            }
        }
    }

    public int cardinality() {
        int n = 0;
        for (int i = 0; i < words.length(); i++) {
            n += Long.bitCount(words.get(i));
        }
        return n;
    }

    public boolean isComplete() {
        return cardinality() == size;
    }

    public void forEach(IntConsumer action) {
        for (int w = 0; w < words.length(); w++) {
            long bits = words.get(w);
            while (bits != 0) {
                int b = Long.numberOfTrailingZeros(bits);
                action.accept((w << 6) + b);
                bits &= bits - 1;
            }
        }
    }

    public byte[] toBitfield() {
        byte[] out = new byte[bitfieldLength(size)];
        forEach(i -> out[i >>> 3] |= (byte) (0x80 >>> (i & 7)));
        return out;
    }

    private void check(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException("piece " + index + " of " + size);
        }
    }

    @Override
    public String toString() {
        return "PieceSet[" + cardinality() + "/" + size + "]";
    }
}
