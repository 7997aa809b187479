package io.bootswarm.profile.model;

/**
 * What one run contributes to a profile: each piece it read, with the time of the earliest read
 * touching it.
 *
 * @param readCount         reads in the trace
 * @param durationMicros    time of the latest read, microseconds since the disk was opened
 * @param pieces            the pieces read, ascending
 * @param firstAccessMicros the first-access time of each piece, same order
 */
public record TraceRun(int readCount, long durationMicros, int[] pieces, long[] firstAccessMicros) {

    public int piecesTouched() {
        return pieces.length;
    }
}
