package io.bootswarm.agent.launch;

import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reports this host's part of each launch to the tracker over Kafka: READY with the NBD URIs
 * when the disk exists, then progress while pieces arrive (every {@code interval}, only when
 * something changed, and once after an agent restart for the disks it reopened), FAILED or
 * STOPPED. Sequence numbers grow across agent restarts (they start from the clock), so the
 * tracker can drop stale reports.
 */
public final class LaunchReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LaunchReporter.class);

    private final KafkaTemplate<String, String> kafka;
    private final Disks disks;
    private final String host;
    private final AtomicLong sequence = new AtomicLong();
    private final Map<UUID, DiskView> lastSent = new ConcurrentHashMap<>();
    private final Thread progress;
    private volatile boolean closed;

    public LaunchReporter(KafkaTemplate<String, String> kafka, Disks disks, String host, Duration interval) {
        this.kafka = kafka;
        this.disks = disks;
        this.host = host;
        this.progress = Thread.ofVirtual().name("launch-progress").start(() -> progressLoop(interval));
    }

    private long nextSequence() {
        long now = System.currentTimeMillis() * 1000;
        return sequence.updateAndGet(s -> Math.max(s + 1, now));
    }

    /** Reports READY for the disk of a launch, waiting for Kafka to take it. */
    public void ready(Disks.OpenDisk d) {
        DiskView v = disks.view(d);
        send(status(d.record().launchId(), LaunchStatus.State.READY, v, null), true);
        lastSent.put(d.id(), v);
    }

    public void failed(UUID launchId, String detail) {
        send(status(launchId, LaunchStatus.State.FAILED, null, detail), true);
    }

    public void stopped(UUID launchId) {
        lastSent.remove(launchId);
        send(status(launchId, LaunchStatus.State.STOPPED, null, null), true);
    }

    private LaunchStatus status(UUID launchId, LaunchStatus.State state, DiskView v, String detail) {
        return new LaunchStatus(UUID.randomUUID(), Instant.now(), launchId, host, state, nextSequence(),
                v == null ? null : v.nbdUri(), v == null ? null : v.nbdUnixUri(),
                v == null ? 0 : v.piecesPresent(), v == null ? 0 : v.piecesTotal(), v == null ? 0 : v.bytesFetched(),
                detail);
    }

    private void send(LaunchStatus s, boolean wait) {
        var f = kafka.send(Topics.LAUNCH_STATUS, s.key(), EventCodec.encode(s));
        if (wait) {
            try {
                f.get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("Kafka did not take the launch status: " + e, e);
            }
        }
    }

    private void progressLoop(Duration interval) {
        while (!closed) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            for (Disks.OpenDisk d : disks.list()) {
                if (d.launchId().isEmpty()) {
                    continue;
                }
                DiskView v = disks.view(d);
                DiskView before = lastSent.get(d.id());
                if (before != null && before.piecesPresent() == v.piecesPresent()
                        && before.bytesFetched() == v.bytesFetched()) {
                    continue;
                }
                try {
                    send(status(d.record().launchId(), LaunchStatus.State.READY, v, null), false);
                    lastSent.put(d.id(), v);
                } catch (RuntimeException e) {
                    log.debug("progress report for {} failed: {}", d.id(), e.toString());
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        progress.interrupt();
    }
}
