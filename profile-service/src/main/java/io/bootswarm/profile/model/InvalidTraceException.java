package io.bootswarm.profile.model;

/** A trace whose reads cannot be a run: a value out of range, or too many pieces. */
public class InvalidTraceException extends Exception {

    private final int readIndex;

    /** @param readIndex the offending read (from 0), or -1 when the trace as a whole is at fault */
    public InvalidTraceException(int readIndex, String message) {
        super(message);
        this.readIndex = readIndex;
    }

    public int readIndex() {
        return readIndex;
    }
}
