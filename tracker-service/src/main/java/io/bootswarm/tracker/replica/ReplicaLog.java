package io.bootswarm.tracker.replica;

import io.bootswarm.common.events.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes this replica's changes to the shared swarm view ({@link Topics#SWARM_PEERS}), each marked with
 * the replica's {@link #origin()} so that {@link ReplicaFeed} skips its own. An announce only hands its change
 * to a queue, latest value per key (so a burst of re-announces of one peer is one record), and one thread sends
 * the queue to Kafka: an announce never waits for the broker, even while it is away. A change the broker does
 * not take, or that finds the queue full ({@code bootswarm.tracker.replica.max-pending} keys), is counted
 * ({@code bootswarm.tracker.replica.published{outcome=failed|dropped}}) and lost to the other replicas until
 * the peer's next announce (announces repeat every announce interval, so the view heals by itself). Off when
 * {@code bootswarm.tracker.replica.enabled=false}.
 */
@Component
@EnableConfigurationProperties(ReplicaProperties.class)
public class ReplicaLog implements ReplicaPublisher, AutoCloseable {

    /** The record header that names the replica that wrote it. */
    static final String ORIGIN = "bootswarm-origin";

    private static final Logger log = LoggerFactory.getLogger(ReplicaLog.class);

    private final KafkaTemplate<String, String> kafka;
    private final boolean enabled;
    private final int maxPending;
    private final String origin = UUID.randomUUID().toString();
    private final byte[] originBytes = origin.getBytes(StandardCharsets.UTF_8);
    private final Counter sent;
    private final Counter failed;
    private final Counter dropped;
    private final AtomicBoolean failing = new AtomicBoolean();
    private LinkedHashMap<String, @Nullable String> pending = new LinkedHashMap<>();
    private boolean running = true;
    private final @Nullable Thread sender;

    ReplicaLog(KafkaTemplate<String, String> kafka, ReplicaProperties properties, MeterRegistry meters) {
        this.kafka = kafka;
        this.enabled = properties.enabled();
        this.maxPending = properties.maxPending();
        this.sent = counter(meters, "sent");
        this.failed = counter(meters, "failed");
        this.dropped = counter(meters, "dropped");
        Gauge.builder("bootswarm.tracker.replica.pending", this, ReplicaLog::pendingCount)
                .description("changes of the swarm view waiting to be sent").register(meters);
        this.sender = enabled ? Thread.ofVirtual().name("replica-log").start(this::run) : null;
    }

    private static Counter counter(MeterRegistry meters, String outcome) {
        return Counter.builder("bootswarm.tracker.replica.published").tag("outcome", outcome)
                .description("changes of the swarm view for the other tracker replicas, by outcome").register(meters);
    }

    /** This replica's id, random per start. */
    public String origin() {
        return origin;
    }

    @Override
    public void put(String key, String value) {
        enqueue(key, value);
    }

    @Override
    public void remove(String key) {
        enqueue(key, null);
    }

    private synchronized int pendingCount() {
        return pending.size();
    }

    private synchronized void enqueue(String key, @Nullable String value) {
        if (!enabled || !running) {
            return;
        }
        if (pending.size() >= maxPending && !pending.containsKey(key)) {
            dropped.increment();
            return;
        }
        pending.put(key, value);
        notifyAll();
    }

    private void run() {
        while (true) {
            Map<String, @Nullable String> batch;
            synchronized (this) {
                while (running && pending.isEmpty()) {
                    try {
                        wait();
                    } catch (InterruptedException e) {
                        return;
                    }
                }
                if (pending.isEmpty()) {
                    return;
                }
                batch = pending;
                pending = new LinkedHashMap<>();
            }
            batch.forEach(this::send);
        }
    }

    private void send(String key, @Nullable String value) {
        ProducerRecord<String, String> record = new ProducerRecord<>(Topics.SWARM_PEERS, key, value);
        record.headers().add(ORIGIN, originBytes);
        try {
            kafka.send(record).whenComplete((r, e) -> {
                if (e == null) {
                    sent.increment();
                    if (failing.compareAndSet(true, false)) {
                        log.info("swarm view changes reach the other tracker replicas again");
                    }
                } else {
                    failed(e);
                }
            });
        } catch (RuntimeException e) {
            failed(e);
        }
    }

    private void failed(Throwable e) {
        failed.increment();
        if (failing.compareAndSet(false, true)) {
            log.warn("swarm view changes do not reach the other tracker replicas (they catch up on the next "
                    + "announces): {}", e.toString());
        }
    }

    /** Sends what is queued (each send waits at most the producer's {@code max.block.ms}) and stops. */
    @Override
    public void close() throws InterruptedException {
        synchronized (this) {
            running = false;
            notifyAll();
        }
        if (sender != null) {
            sender.join(10_000);
        }
    }
}
