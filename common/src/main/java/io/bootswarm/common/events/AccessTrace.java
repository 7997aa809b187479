package io.bootswarm.common.events;

import java.time.Instant;
import java.util.UUID;

/**
 * One chunk of the reads a hypervisor made of a disk during a launch, in the order made, sent by
 * the agent when the launch ends (or its recording period does). A trace is split into chunks to
 * stay well under Kafka's message size; the consumer assembles chunks {@code 0..last} of a
 * {@code traceId} and uses the trace once all are there (redelivered chunks are recognised by
 * trace id and chunk number).
 *
 * @param reads     flattened triples: microseconds since the disk was opened, byte offset, length
 * @param pieceSize the piece size of the image, to map offsets to pieces
 */
public record AccessTrace(UUID eventId, Instant at, UUID traceId, UUID launchId, String host, UUID imageId,
                          String workload, int pieceSize, int chunk, boolean last, long[] reads)
        implements BootswarmEvent {

    /** Reads per chunk an agent sends at most: about 200 KB of JSON. */
    public static final int MAX_READS_PER_CHUNK = 8192;

    @Override
    public String key() {
        return traceId.toString();
    }

    public int readCount() {
        return reads == null ? 0 : reads.length / 3;
    }
}
