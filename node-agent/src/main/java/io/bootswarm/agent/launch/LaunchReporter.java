package io.bootswarm.agent.launch;

import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.Topics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.kafka.core.KafkaTemplate;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Reports this host's part of each launch to the tracker over Kafka: READY with the NBD URIs
 * when the disk exists, then progress while pieces arrive (every {@code interval}, only when
 * something changed, and once after an agent restart for the disks it reopened), FAILED or
 * STOPPED. Sequence numbers grow across agent restarts (they start from the clock), so the
 * tracker can drop stale reports.
 *
 * <p>A READY, FAILED or STOPPED that Kafka did not take (it was away, or timed out) is kept, the latest per
 * launch, and sent again as it was (same sequence: the tracker applies it once) every {@code interval} doubling up
 * to {@link #MAX_RETRY_INTERVAL}, until Kafka takes it or a newer report of the launch replaces it. Once Kafka
 * has a report the tracker applies it, whatever its database was doing when it arrived. Progress is marked sent
 * only once Kafka has it, so a lost progress report is sent again on the next round.
 */
public final class LaunchReporter implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LaunchReporter.class);

    /** Longest wait between two attempts to send a report Kafka did not take. */
    static final Duration MAX_RETRY_INTERVAL = Duration.ofMinutes(1);

    /** A report Kafka has not taken yet, and when to try again. */
    private record Unsent(LaunchStatus status, Duration backoff, Instant next) {
    }

    private final KafkaTemplate<String, String> kafka;
    private final Disks disks;
    private final String host;
    private final Duration interval;
    private final InstantSource clock;
    private final AtomicLong sequence = new AtomicLong();
    private final Map<UUID, DiskView> lastSent = new ConcurrentHashMap<>();
    private final Map<UUID, Unsent> unsent = new ConcurrentHashMap<>();
    private final Thread progress;
    private volatile boolean closed;

    public LaunchReporter(KafkaTemplate<String, String> kafka, Disks disks, String host, Duration interval) {
        this(kafka, disks, host, interval, InstantSource.system());
    }

    /** @param clock when to send again a report Kafka did not take */
    public LaunchReporter(KafkaTemplate<String, String> kafka, Disks disks, String host, Duration interval,
                          InstantSource clock) {
        this.kafka = kafka;
        this.disks = disks;
        this.host = host;
        this.interval = interval;
        this.clock = clock;
        this.progress = Thread.ofVirtual().name("launch-progress").start(this::progressLoop);
    }

    private long nextSequence() {
        long now = System.currentTimeMillis() * 1000;
        return sequence.updateAndGet(s -> Math.max(s + 1, now));
    }

    /** Reports READY for the disk of a launch, waiting for Kafka to take it. */
    public void ready(Disks.OpenDisk d) {
        DiskView v = disks.view(d);
        send(status(d.record().launchId(), LaunchStatus.State.READY, v, null));
        lastSent.put(d.id(), v);
    }

    public void failed(UUID launchId, String detail) {
        send(status(launchId, LaunchStatus.State.FAILED, null, detail));
    }

    /** Reports STOPPED with {@code reason} (the one the STOP command carried, or null) as its detail. */
    public void stopped(UUID launchId, String reason) {
        lastSent.remove(launchId);
        send(status(launchId, LaunchStatus.State.STOPPED, null, reason));
    }

    /** Reports not yet taken by Kafka, to be sent again. */
    int unsent() {
        return unsent.size();
    }

    private LaunchStatus status(UUID launchId, LaunchStatus.State state, DiskView v, String detail) {
        return new LaunchStatus(UUID.randomUUID(), Instant.now(), launchId, host, state, nextSequence(),
                v == null ? null : v.nbdUri(), v == null ? null : v.nbdUnixUri(),
                v == null ? 0 : v.piecesPresent(), v == null ? 0 : v.piecesTotal(), v == null ? 0 : v.bytesFetched(),
                detail);
    }

    /**
     * Sends a report that must reach the tracker and waits for Kafka to take it; if it does not, the report is
     * kept to be sent again and the failure thrown (the command that caused it is retried as well).
     */
    private void send(LaunchStatus s) {
        unsent.compute(s.launchId(), (id, u) -> u == null || u.status().sequence() < s.sequence() ? null : u);
        try {
            publish(s).get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            keep(s, interval);
            throw new IllegalStateException("Kafka did not take the launch status: " + e, e);
        }
    }

    private CompletableFuture<?> publish(LaunchStatus s) {
        return kafka.send(Topics.LAUNCH_STATUS, s.key(), EventCodec.encode(s));
    }

    /** Keeps {@code s} to be sent again, unless a newer report of its launch is already kept. */
    private void keep(LaunchStatus s, Duration backoff) {
        Unsent mine = new Unsent(s, backoff, clock.instant().plus(backoff));
        unsent.merge(s.launchId(), mine, (old, now) -> old.status().sequence() > s.sequence() ? old : now);
    }

    private void resendUnsent() {
        Instant now = clock.instant();
        for (Unsent u : unsent.values()) {
            if (now.isBefore(u.next())) {
                continue;
            }
            LaunchStatus s = u.status();
            Duration backoff = u.backoff().multipliedBy(2).compareTo(MAX_RETRY_INTERVAL) > 0 ? MAX_RETRY_INTERVAL
                    : u.backoff().multipliedBy(2);
            unsent.replace(s.launchId(), u, new Unsent(s, backoff, now.plus(backoff)));
            publish(s).whenComplete((r, e) -> {
                if (e == null) {
                    unsent.computeIfPresent(s.launchId(), (id, kept) -> kept.status() == s ? null : kept);
                    log.info("launch {} status {} sent again and taken by Kafka", s.launchId(), s.state());
                } else {
                    log.debug("launch {} status {} still not taken by Kafka: {}", s.launchId(), s.state(), e.toString());
                }
            });
        }
    }

    private void progressLoop() {
        while (!closed) {
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
            try {
                resendUnsent();
            } catch (RuntimeException e) {
                log.debug("re-sending launch statuses failed: {}", e.toString());
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
                    LaunchStatus s = status(d.record().launchId(), LaunchStatus.State.READY, v, null);
                    publish(s).whenComplete((r, e) -> {
                        if (e == null && disks.find(d.id()).isPresent()) {
                            lastSent.put(d.id(), v);
                            unsent.computeIfPresent(s.launchId(),
                                    (id, kept) -> kept.status().sequence() < s.sequence() ? null : kept);
                        }
                    });
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
