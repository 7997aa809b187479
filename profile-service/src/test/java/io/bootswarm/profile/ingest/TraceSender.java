package io.bootswarm.profile.ingest;

import java.util.HashMap;
import io.bootswarm.infra.kafka.KafkaServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.AccessTrace;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/** Sends access traces as an agent does: a plain Kafka producer logged in as the agents, {@link EventCodec} JSON keyed by trace id. */
final class TraceSender implements AutoCloseable {

    private final KafkaProducer<String, String> producer;

    TraceSender(KafkaServer kafka) {
        Map<String, Object> config = new HashMap<>(kafka.clientProperties(KafkaUser.AGENT));
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /** A trace's metadata; {@link #chunks} splits its reads. */
    record Trace(UUID traceId, UUID launchId, String host, UUID imageId, String workload, int pieceSize) {

        static Trace of(UUID imageId, String workload, int pieceSize) {
            return new Trace(UUID.randomUUID(), UUID.randomUUID(), "host-" + UUID.randomUUID().toString().substring(0, 8),
                    imageId, workload, pieceSize);
        }

        AccessTrace chunk(int chunk, boolean last, long... reads) {
            return new AccessTrace(UUID.randomUUID(), Instant.now(), traceId, launchId, host, imageId, workload,
                    pieceSize, chunk, last, reads);
        }

        /** The reads split into chunks of at most {@code readsPerChunk} reads, in order. */
        List<AccessTrace> chunks(int readsPerChunk, long... reads) {
            List<AccessTrace> out = new ArrayList<>();
            int n = reads.length / 3;
            int chunks = Math.max(1, (n + readsPerChunk - 1) / readsPerChunk);
            for (int c = 0; c < chunks; c++) {
                int from = c * readsPerChunk * 3;
                int to = Math.min(reads.length, from + readsPerChunk * 3);
                out.add(chunk(c, c == chunks - 1, Arrays.copyOfRange(reads, from, to)));
            }
            return out;
        }
    }

    void send(AccessTrace chunk) {
        sendRaw(chunk.key(), EventCodec.encode(chunk));
    }

    void sendRaw(String key, String value) {
        try {
            producer.send(new ProducerRecord<>(Topics.ACCESS_TRACES, key, value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
