package io.bootswarm.allocator;

import java.util.HashMap;
import io.bootswarm.infra.kafka.KafkaServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.events.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

/**
 * Stands in for node agents: sends their swarm reports to Kafka as they do (EventCodec JSON keyed by
 * host), once or every {@code interval} with a fresh time, until closed.
 */
public final class Agents implements AutoCloseable {

    private final KafkaProducer<String, String> producer;
    private volatile Thread reporter;

    /** Sends as the agents' principal. */
    public Agents(KafkaServer kafka) {
        Map<String, Object> config = new HashMap<>(kafka.clientProperties(KafkaUser.AGENT));
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        this.producer = new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
    }

    /** A host's report as sent now. */
    public record Host(String host, long uploadCapacity, List<SwarmReport.Entry> entries) {
        public SwarmReport now() {
            return new SwarmReport(UUID.randomUUID(), Instant.now(), host, uploadCapacity, entries);
        }
    }

    public void send(SwarmReport report) {
        sendRaw(report.host(), EventCodec.encode(report));
    }

    public void sendRaw(String key, String value) {
        try {
            producer.send(new ProducerRecord<>(Topics.SWARM_REPORTS, key, value)).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Starts sending every host's report every {@code intervalMillis}, as live agents do. */
    public Agents report(List<Host> hosts, long intervalMillis) {
        stop();
        reporter = Thread.ofVirtual().name("test-agents").start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                hosts.forEach(h -> send(h.now()));
                try {
                    Thread.sleep(intervalMillis);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        return this;
    }

    /** The agents go quiet. */
    public void stop() {
        Thread t = reporter;
        if (t != null) {
            t.interrupt();
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reporter = null;
        }
    }

    @Override
    public void close() {
        stop();
        producer.close();
    }
}
