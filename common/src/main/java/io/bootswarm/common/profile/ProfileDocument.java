package io.bootswarm.common.profile;

import java.util.UUID;

/**
 * The compact form of an access profile that agents fetch for a launch (VMTorrent §2.2.3): for
 * every piece seen in at least one run, in order of mean first-access time, the piece index, that
 * mean time, and the share of runs in which the piece was read.
 *
 * @param runs        how many traces the profile was built from
 * @param pieces      piece indexes, earliest mean first access first
 * @param meanFirstAccessMillis mean first-access time of each piece (milliseconds since launch), same order
 * @param share       fraction of runs (0..1] in which each piece was read, same order
 */
public record ProfileDocument(UUID imageId, String workload, int pieceSize, int runs, int[] pieces,
                              long[] meanFirstAccessMillis, double[] share) {

    /**
     * @throws IllegalArgumentException when the arrays disagree in length or hold impossible values
     */
    public ProfileDocument {
        if (imageId == null || workload == null || pieces == null || meanFirstAccessMillis == null
                || share == null) {
            throw new IllegalArgumentException("profile document is missing a field");
        }
        if (pieces.length != meanFirstAccessMillis.length || pieces.length != share.length || runs < 0
                || pieceSize <= 0) {
            throw new IllegalArgumentException("profile document arrays disagree or sizes are not positive");
        }
        for (int i = 0; i < pieces.length; i++) {
            if (pieces[i] < 0 || share[i] <= 0 || share[i] > 1 || meanFirstAccessMillis[i] < 0) {
                throw new IllegalArgumentException("profile row " + i + " is out of range");
            }
        }
    }

    public int size() {
        return pieces.length;
    }
}
