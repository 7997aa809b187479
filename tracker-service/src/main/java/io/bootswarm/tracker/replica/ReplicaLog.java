package io.bootswarm.tracker.replica;

import io.bootswarm.common.events.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Publishes this replica's changes to the shared swarm view ({@link Topics#SWARM_PEERS}), each marked with
 * the replica's {@link #origin()} so that {@link ReplicaFeed} skips its own. Sends are asynchronous and never
 * block an announce: a change the broker does not take is counted
 * ({@code bootswarm.tracker.replica.published{outcome=failed}}) and lost to the other replicas until the
 * peer's next announce (announces repeat every announce interval, so the view heals by itself). Off when
 * {@code bootswarm.tracker.replica.enabled=false}.
 */
@Component
@EnableConfigurationProperties(ReplicaProperties.class)
public class ReplicaLog implements ReplicaPublisher {

    /** The record header that names the replica that wrote it. */
    static final String ORIGIN = "bootswarm-origin";

    private static final Logger log = LoggerFactory.getLogger(ReplicaLog.class);

    private final KafkaTemplate<String, String> kafka;
    private final boolean enabled;
    private final String origin = UUID.randomUUID().toString();
    private final byte[] originBytes = origin.getBytes(StandardCharsets.UTF_8);
    private final Counter sent;
    private final Counter failed;
    private final AtomicBoolean failing = new AtomicBoolean();

    ReplicaLog(KafkaTemplate<String, String> kafka, ReplicaProperties properties, MeterRegistry meters) {
        this.kafka = kafka;
        this.enabled = properties.enabled();
        this.sent = Counter.builder("bootswarm.tracker.replica.published").tag("outcome", "sent")
                .description("changes of the swarm view sent to the other tracker replicas").register(meters);
        this.failed = Counter.builder("bootswarm.tracker.replica.published").tag("outcome", "failed")
                .description("changes of the swarm view sent to the other tracker replicas").register(meters);
    }

    /** This replica's id, random per start. */
    public String origin() {
        return origin;
    }

    @Override
    public void put(String key, String value) {
        send(key, value);
    }

    @Override
    public void remove(String key) {
        send(key, null);
    }

    private void send(String key, @Nullable String value) {
        if (!enabled) {
            return;
        }
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
}
