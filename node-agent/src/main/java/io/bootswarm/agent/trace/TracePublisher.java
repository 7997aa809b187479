package io.bootswarm.agent.trace;

import io.bootswarm.common.events.AccessTrace;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

import java.time.InstantSource;
import java.util.Arrays;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Sends a recorded trace to profile-service over Kafka, in {@link AccessTrace} chunks of at most
 * {@link AccessTrace#MAX_READS_PER_CHUNK} reads, keyed by trace id so the chunks stay in order,
 * and waits until Kafka has them all.
 */
public final class TracePublisher {

    private static final Logger log = LoggerFactory.getLogger(TracePublisher.class);

    /** Identifies the launch a trace belongs to. */
    public record TraceOrigin(UUID launchId, String host, UUID imageId, String workload, int pieceSize) {
    }

    private final KafkaTemplate<String, String> kafka;
    private final InstantSource clock;

    /** @param clock the time the chunks are stamped with */
    public TracePublisher(KafkaTemplate<String, String> kafka, InstantSource clock) {
        this.kafka = kafka;
        this.clock = clock;
    }

    /** Publishes the trace; returns its id, or null when there was nothing to send. */
    public UUID publish(TraceOrigin origin, long[] reads) {
        int total = reads.length / 3;
        if (total == 0) {
            return null;
        }
        UUID traceId = UUID.randomUUID();
        int per = AccessTrace.MAX_READS_PER_CHUNK;
        int chunks = (total + per - 1) / per;
        CompletableFuture<?>[] sends = new CompletableFuture<?>[chunks];
        for (int c = 0; c < chunks; c++) {
            long[] part = Arrays.copyOfRange(reads, 3 * c * per, 3 * Math.min(total, (c + 1) * per));
            AccessTrace t = new AccessTrace(UUID.randomUUID(), clock.instant(), traceId, origin.launchId(), origin.host(),
                    origin.imageId(), origin.workload(), origin.pieceSize(), c, c == chunks - 1, part);
            sends[c] = kafka.send(Topics.ACCESS_TRACES, t.key(), EventCodec.encode(t));
        }
        try {
            CompletableFuture.allOf(sends).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("Kafka did not take trace " + traceId + ": " + e, e);
        }
        log.info("trace {} of launch {} ({} reads, workload {}) sent to profile-service", traceId, origin.launchId(),
                total, origin.workload());
        return traceId;
    }
}
