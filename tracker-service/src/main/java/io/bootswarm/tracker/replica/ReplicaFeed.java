package io.bootswarm.tracker.replica;

import io.bootswarm.common.events.Topics;
import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.kafka.core.ConsumerFactory;
import org.springframework.stereotype.Component;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Materializes the other replicas' changes of the shared swarm view: reads every partition of
 * {@link Topics#SWARM_PEERS} (assigned, not through a consumer group: every replica reads everything) and
 * hands each record another replica wrote to the {@link ReplicaSink} of its key prefix. At start it reads from
 * the records written within the longest a peer or seed stays live without being heard from again, so a
 * replica started (or restarted) next to others knows their live peers within one pass over that window.
 * {@code bootswarm.tracker.replica.delay} times each record from its write to its application here: that is
 * the window in which replicas answer from different views.
 */
@Component
class ReplicaFeed implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(ReplicaFeed.class);

    private final ConsumerFactory<?, ?> consumers;
    private final ReplicaLog replicaLog;
    private final List<ReplicaSink> sinks;
    private final ReplicaProperties properties;
    private final Duration lookback;
    private final Clock clock;
    private final Counter applied;
    private final Counter skipped;
    private final Timer delay;
    private volatile boolean running;
    private volatile boolean caughtUp;
    private volatile @Nullable KafkaConsumer<String, String> consumer;
    private @Nullable Thread worker;

    ReplicaFeed(ConsumerFactory<?, ?> consumers, ReplicaLog replicaLog, List<ReplicaSink> sinks,
                ReplicaProperties properties, TrackerProperties tracker, Clock clock, MeterRegistry meters) {
        this.consumers = consumers;
        this.replicaLog = replicaLog;
        this.sinks = List.copyOf(sinks);
        this.properties = properties;
        this.lookback = tracker.peerExpiry().compareTo(tracker.seedTtl()) >= 0 ? tracker.peerExpiry() : tracker.seedTtl();
        this.clock = clock;
        this.applied = Counter.builder("bootswarm.tracker.replica.applied")
                .description("changes of the swarm view applied from other tracker replicas").register(meters);
        this.skipped = Counter.builder("bootswarm.tracker.replica.skipped")
                .description("records of the swarm view topic that no sink takes or that do not decode").register(meters);
        this.delay = Timer.builder("bootswarm.tracker.replica.delay")
                .description("from a change's write by another replica to its application here")
                .publishPercentiles(0.5, 0.99).register(meters);
        Gauge.builder("bootswarm.tracker.replica.caught-up", this, f -> f.caughtUp ? 1 : 0)
                .description("1 once the replica has read the swarm view's recent records").register(meters);
    }

    /** Whether the start-up pass over the recent records is done. */
    boolean caughtUp() {
        return caughtUp;
    }

    @Override
    public synchronized void start() {
        if (running || !properties.enabled()) {
            return;
        }
        running = true;
        worker = Thread.ofVirtual().name("replica-feed").start(this::run);
    }

    @Override
    public void stop() {
        Thread w;
        synchronized (this) {
            running = false;
            w = worker;
            worker = null;
        }
        KafkaConsumer<String, String> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        if (w != null) {
            try {
                w.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    private void run() {
        boolean warned = false;
        while (running) {
            try (KafkaConsumer<String, String> c = newConsumer()) {
                consumer = c;
                if (!running) {
                    return;
                }
                List<TopicPartition> partitions = assign(c);
                if (partitions.isEmpty()) {
                    throw new IllegalStateException("topic " + Topics.SWARM_PEERS + " has no partitions yet");
                }
                if (warned) {
                    log.info("reading the shared swarm view again");
                    warned = false;
                }
                Map<TopicPartition, Long> end = c.endOffsets(partitions);
                while (running) {
                    for (ConsumerRecord<String, String> r : c.poll(properties.poll())) {
                        apply(r);
                    }
                    if (!caughtUp && end.entrySet().stream().allMatch(e -> c.position(e.getKey()) >= e.getValue())) {
                        caughtUp = true;
                        log.info("swarm view of the other tracker replicas read ({} partitions, the last {})",
                                partitions.size(), lookback);
                    }
                }
            } catch (WakeupException e) {
                return;
            } catch (RuntimeException e) {
                if (!running) {
                    return;
                }
                if (!warned) {
                    warned = true;
                    log.warn("cannot read the shared swarm view, retrying every {}: {}", properties.retry(), e.toString());
                }
                try {
                    Thread.sleep(properties.retry());
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } finally {
                consumer = null;
            }
        }
    }

    private List<TopicPartition> assign(KafkaConsumer<String, String> c) {
        List<PartitionInfo> infos = c.partitionsFor(Topics.SWARM_PEERS);
        List<TopicPartition> partitions = infos == null ? List.of()
                : infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
        if (partitions.isEmpty()) {
            return partitions;
        }
        c.assign(partitions);
        long since = clock.instant().minus(lookback).toEpochMilli();
        Map<TopicPartition, Long> query = new HashMap<>();
        partitions.forEach(p -> query.put(p, since));
        Map<TopicPartition, OffsetAndTimestamp> offsets = c.offsetsForTimes(query);
        for (TopicPartition p : partitions) {
            OffsetAndTimestamp at = offsets.get(p);
            if (at == null) {
                c.seekToEnd(List.of(p));
            } else {
                c.seek(p, at.offset());
            }
        }
        return partitions;
    }

    private void apply(ConsumerRecord<String, String> r) {
        Header origin = r.headers().lastHeader(ReplicaLog.ORIGIN);
        if (origin != null && new String(origin.value(), StandardCharsets.UTF_8).equals(replicaLog.origin())) {
            return;
        }
        String key = r.key();
        if (key == null) {
            skipped.increment();
            return;
        }
        for (ReplicaSink sink : sinks) {
            if (key.startsWith(sink.prefix())) {
                try {
                    sink.apply(key, r.value(), Instant.ofEpochMilli(r.timestamp()));
                    applied.increment();
                    delay.record(Math.max(0, clock.millis() - r.timestamp()), TimeUnit.MILLISECONDS);
                } catch (RuntimeException e) {
                    skipped.increment();
                    log.debug("skipping swarm view record {} at {}-{}@{}: {}", key, r.topic(), r.partition(),
                            r.offset(), e.toString());
                }
                return;
            }
        }
        skipped.increment();
    }

    private KafkaConsumer<String, String> newConsumer() {
        Map<String, Object> config = new HashMap<>(consumers.getConfigurationProperties());
        config.remove(ConsumerConfig.GROUP_ID_CONFIG);
        config.remove(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, "tracker-replica-" + replicaLog.origin());
        config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        return new KafkaConsumer<>(config);
    }
}
