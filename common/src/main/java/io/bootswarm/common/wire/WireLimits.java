package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.PieceSet;

/**
 * What a connection accepts, checked on every message's length prefix before anything is
 * allocated.
 *
 * @param pieceCount        pieces in the swarm (bounds indexes and the bitfield length)
 * @param maxBlockLength    largest block in a request or piece message (16 KiB by BEP 3 custom)
 * @param maxExtendedLength largest BEP 10 extension payload
 */
public record WireLimits(int pieceCount, int maxBlockLength, int maxExtendedLength) {

    /** The block size pieces move in. */
    public static final int BLOCK_LENGTH = 16 * 1024;

    public static WireLimits forPieces(int pieceCount) {
        return new WireLimits(pieceCount, BLOCK_LENGTH, 64 * 1024);
    }

    /** The largest length prefix any message may carry. */
    public int maxMessageLength() {
        return Math.max(Math.max(13, 9 + maxBlockLength),
                Math.max(1 + PieceSet.bitfieldLength(pieceCount), 2 + maxExtendedLength));
    }
}
