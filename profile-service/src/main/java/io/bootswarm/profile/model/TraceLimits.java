package io.bootswarm.profile.model;

/**
 * Bounds on the values of a trace's reads, whatever its source: anything outside them is absurd
 * (a corrupt or hostile trace), not a run to learn from.
 *
 * @param maxReadLength  longest single read, bytes
 * @param maxTimeMicros  latest read time, microseconds since the disk was opened
 * @param maxPieces      most distinct pieces one run may touch
 */
public record TraceLimits(long maxReadLength, long maxTimeMicros, int maxPieces) {

    /** The largest piece size a trace may name (as seed-service allows). */
    public static final int MAX_PIECE_SIZE = 64 * 1024 * 1024;

    public TraceLimits {
        if (maxReadLength <= 0 || maxTimeMicros <= 0 || maxPieces <= 0) {
            throw new IllegalArgumentException("trace limits must be positive");
        }
    }
}
