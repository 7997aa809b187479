package io.bootswarm.profile.model;

import java.util.Comparator;

/**
 * A piece's standing in a profile as stored: the sum of its first-access times over the runs in
 * which it was read, and how many those were. Means and shares are exact over all runs so far.
 *
 * @param piece                  the piece index
 * @param firstAccessSumMicros   sum of first-access times, microseconds
 * @param runs                   runs in which the piece was read (at least 1)
 */
public record ProfileRow(int piece, long firstAccessSumMicros, int runs) {

    /**
     * Profile order: by mean first-access time, exactly ({@code a/b < c/d} as {@code a·d < c·b} in 128
     * bits), ties by piece index.
     */
    public static final Comparator<ProfileRow> ORDER = ProfileRow::compareMeans;

    public ProfileRow {
        if (piece < 0 || firstAccessSumMicros < 0 || runs <= 0) {
            throw new IllegalArgumentException("profile row out of range: " + piece + ", " + firstAccessSumMicros
                    + ", " + runs);
        }
    }

    /** Mean first-access time over the runs in which the piece was read, milliseconds. */
    public double meanFirstAccessMillis() {
        return firstAccessSumMicros / (double) runs / 1000.0;
    }

    /** The mean rounded to whole milliseconds (the compact form agents fetch). */
    public long meanFirstAccessMillisRounded() {
        return Math.round(meanFirstAccessMillis());
    }

    /** The share of the profile's runs in which the piece was read, in (0, 1]. */
    public double share(int profileRuns) {
        if (profileRuns < runs) {
            throw new IllegalStateException("piece " + piece + " in " + runs + " of " + profileRuns + " runs");
        }
        return runs / (double) profileRuns;
    }

    private static int compareMeans(ProfileRow a, ProfileRow b) {
        // a.sum / a.runs vs b.sum / b.runs  <=>  a.sum * b.runs vs b.sum * a.runs (all non-negative)
        long x = a.firstAccessSumMicros;
        long y = b.firstAccessSumMicros;
        long highLeft = Math.multiplyHigh(x, b.runs);
        long highRight = Math.multiplyHigh(y, a.runs);
        int c = Long.compare(highLeft, highRight);
        if (c == 0) {
            c = Long.compareUnsigned(x * b.runs, y * a.runs);
        }
        return c != 0 ? c : Integer.compare(a.piece, b.piece);
    }
}
