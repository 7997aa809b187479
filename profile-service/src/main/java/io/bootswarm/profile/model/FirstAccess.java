package io.bootswarm.profile.model;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * One run's first-access times (VMTorrent §2.2.3): a read {@code [offset, offset + length)} touches
 * pieces {@code offset / pieceSize .. (offset + length - 1) / pieceSize}; a piece's first-access time
 * is the earliest time of a read touching it. "Earliest", not "first in the trace": a tracer may log
 * concurrent requests out of time order, and the minimum does not depend on the order of the lines.
 * A read of length 0 touches no piece: it is counted, and otherwise ignored (a trace whose reads touch
 * no piece at all is empty, which the callers refuse).
 */
public final class FirstAccess {

    private FirstAccess() {
    }

    /**
     * @param reads     flattened triples (time in microseconds, byte offset, length)
     * @param pieceSize bytes per piece
     * @param imageSize the image's size in bytes (reads must end within it), or -1 when unknown
     * @throws InvalidTraceException when a value is out of range or the run touches too many pieces
     */
    public static TraceRun compute(long[] reads, int pieceSize, long imageSize, TraceLimits limits)
            throws InvalidTraceException {
        checkShape(reads, pieceSize);
        int count = reads.length / 3;
        Map<Integer, Long> first = new HashMap<>();
        long duration = 0;
        for (int i = 0; i < count; i++) {
            long time = reads[3 * i];
            long offset = reads[3 * i + 1];
            long length = reads[3 * i + 2];
            String problem = checkRead(time, offset, length, pieceSize, imageSize, limits);
            if (problem != null) {
                throw new InvalidTraceException(i, problem);
            }
            duration = Math.max(duration, time);
            if (length == 0) {
                continue;
            }
            int from = (int) (offset / pieceSize);
            int to = (int) ((offset + length - 1) / pieceSize);
            for (int p = from; p <= to; p++) {
                first.merge(p, time, Math::min);
            }
            if (first.size() > limits.maxPieces()) {
                throw new InvalidTraceException(i, "the trace touches more than " + limits.maxPieces() + " pieces");
            }
        }
        int[] pieces = first.keySet().stream().mapToInt(Integer::intValue).toArray();
        Arrays.sort(pieces);
        long[] times = new long[pieces.length];
        for (int i = 0; i < pieces.length; i++) {
            times[i] = first.get(pieces[i]);
        }
        return new TraceRun(count, duration, pieces, times);
    }

    /**
     * Checks every read's values without computing anything (an image size is not known here).
     *
     * @throws InvalidTraceException at the first bad read
     */
    public static void check(long[] reads, int pieceSize, TraceLimits limits) throws InvalidTraceException {
        checkShape(reads, pieceSize);
        for (int i = 0; i < reads.length / 3; i++) {
            String problem = checkRead(reads[3 * i], reads[3 * i + 1], reads[3 * i + 2], pieceSize, -1, limits);
            if (problem != null) {
                throw new InvalidTraceException(i, problem);
            }
        }
    }

    private static void checkShape(long[] reads, int pieceSize) throws InvalidTraceException {
        if (reads == null || reads.length % 3 != 0) {
            throw new InvalidTraceException(-1, "reads are not triples of (time, offset, length)");
        }
        if (pieceSize <= 0 || pieceSize > TraceLimits.MAX_PIECE_SIZE) {
            throw new InvalidTraceException(-1, "piece size " + pieceSize + " is not in [1, "
                    + TraceLimits.MAX_PIECE_SIZE + "]");
        }
    }

    /** What is wrong with one read, or null. */
    static String checkRead(long time, long offset, long length, int pieceSize, long imageSize, TraceLimits limits) {
        if (time < 0 || time > limits.maxTimeMicros()) {
            return "time " + time + " µs is not in [0, " + limits.maxTimeMicros() + "] µs";
        }
        if (offset < 0) {
            return "offset " + offset + " is negative";
        }
        if (length < 0 || length > limits.maxReadLength()) {
            return "length " + length + " is not in [0, " + limits.maxReadLength() + "]";
        }
        if (offset > Long.MAX_VALUE - length) {
            return "offset " + offset + " + length " + length + " overflows";
        }
        if (imageSize >= 0 && offset + length > imageSize) {
            return "read [" + offset + ", " + (offset + length) + ") ends beyond the image's " + imageSize + " bytes";
        }
        if (length > 0 && (offset + length - 1) / pieceSize > Integer.MAX_VALUE) {
            return "read at offset " + offset + " is beyond the largest piece index";
        }
        return null;
    }
}
