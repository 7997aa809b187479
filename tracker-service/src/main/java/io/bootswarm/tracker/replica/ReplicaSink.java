package io.bootswarm.tracker.replica;

import org.jspecify.annotations.Nullable;

import java.time.Instant;

/**
 * State a tracker replica keeps in memory and shares with the others through {@link ReplicaLog}: it takes
 * the records of its {@link #prefix()} that other replicas published, in the order each key was written.
 */
public interface ReplicaSink {

    /** The key prefix of this sink's records, e.g. {@code peer/}. */
    String prefix();

    /**
     * Applies one record another replica published.
     *
     * @param key   the whole key, prefix included
     * @param value   the record, or null for a tombstone (the entry is gone)
     * @param written when the other replica wrote it (a sink keeps whichever of its entry and the record is newer)
     */
    void apply(String key, @Nullable String value, Instant written);
}
