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
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Stands in for node agents: sends their swarm reports to Kafka as they do (EventCodec JSON keyed by
 * host), once or every {@code interval} with a fresh time, until closed.
 */
public final class Agents implements AutoCloseable {

    /** When any stand-in agent of this JVM last sent a report (so that a test can wait for all to expire). */
    private static final AtomicReference<Instant> NEWEST_SENT = new AtomicReference<>(Instant.EPOCH);

    private final KafkaProducer<String, String> producer;
    private volatile ScheduledExecutorService reporter;

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
        NEWEST_SENT.accumulateAndGet(report.at(), (a, b) -> a.isAfter(b) ? a : b);
    }

    /** The time of the newest report any stand-in agent of this JVM has sent (the epoch if none). */
    public static Instant newestSent() {
        return NEWEST_SENT.get();
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

    /** Starts sending every host's report every {@code intervalMillis}, as live agents do (their period). */
    public Agents report(List<Host> hosts, long intervalMillis) {
        stop();
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().name("test-agents").factory());
        s.scheduleAtFixedRate(() -> hosts.forEach(h -> send(h.now())), 0, intervalMillis, TimeUnit.MILLISECONDS);
        reporter = s;
        return this;
    }

    /** The agents go quiet: no report is sent after this returns. */
    public void stop() {
        ScheduledExecutorService s = reporter;
        if (s != null) {
            s.shutdownNow();
            try {
                s.awaitTermination(10, TimeUnit.SECONDS);
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
