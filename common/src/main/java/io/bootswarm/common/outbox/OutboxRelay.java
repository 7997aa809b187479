package io.bootswarm.common.outbox;

import io.bootswarm.common.time.MonotonicClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends outbox rows to Kafka in id order and marks them published. Woken right after a commit
 * that wrote events, and otherwise polls. Several instances of a service may run a relay on one
 * database: a transaction-scoped advisory lock on the outbox's schema lets one send at a time (the
 * others find nothing to do), so events keep their order; services sharing a database do not hold
 * each other up. Published rows are kept for {@code retention} and then deleted.
 *
 * <p>Its thread runs from {@link #start()} to {@link #close()} (which may be called more than once).
 * The clock it is given paces the clean-up of published rows.
 */
public final class OutboxRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);

    /**
     * The first key of the advisory lock held by the relay that is sending ("bsob" in ASCII); the second is
     * the hash of the outbox's schema, so that each service's relays contend only with each other.
     */
    static final int RELAY_LOCK = 0x62736f62;
    private static final Duration CLEANUP_EVERY = Duration.ofMinutes(1);

    private record Row(long id, String topic, String key, String payload) {
    }

    /**
     * The relay cannot send: its rounds have failed since {@code since}, the last one with {@code error}
     * (Kafka or the database unreachable). Rows wait in the outbox meanwhile and are sent when it recovers.
     */
    public record Failure(Instant since, String error) {
    }

    private final JdbcTemplate jdbc;
    private final TransactionTemplate tx;
    private final KafkaTemplate<String, String> kafka;
    private final OutboxProperties properties;
    private final Counter published;
    private final Counter failed;
    private final InstantSource clock;
    private final Semaphore wakeups = new Semaphore(0);
    private final AtomicLong rounds = new AtomicLong();
    private volatile boolean running = true;
    private volatile @Nullable Failure failure;
    private @Nullable Thread worker;
    private @Nullable Instant lastCleanup;

    /** A relay on the production clock; it relays from {@link #start()}. */
    public OutboxRelay(JdbcTemplate jdbc, TransactionTemplate tx, KafkaTemplate<String, String> kafka,
                       OutboxProperties properties, MeterRegistry meters) {
        this(jdbc, tx, kafka, properties, meters, MonotonicClock.system());
    }

    public OutboxRelay(JdbcTemplate jdbc, TransactionTemplate tx, KafkaTemplate<String, String> kafka,
                       OutboxProperties properties, MeterRegistry meters, InstantSource clock) {
        this.jdbc = jdbc;
        this.tx = tx;
        this.kafka = kafka;
        this.properties = properties;
        this.clock = clock;
        this.published = Counter.builder("bootswarm.outbox.published").description("events sent from the outbox")
                .register(meters);
        this.failed = Counter.builder("bootswarm.outbox.failed")
                .description("relay rounds that failed (Kafka or the database unreachable) and are retried")
                .register(meters);
    }

    /**
     * Starts the relay's thread.
     *
     * @return this relay
     * @throws IllegalStateException if it was started or closed before
     */
    public synchronized OutboxRelay start() {
        if (worker != null || !running) {
            throw new IllegalStateException(running ? "outbox relay already started" : "outbox relay closed");
        }
        worker = Thread.ofVirtual().name("outbox-relay").start(this::run);
        return this;
    }

    /** Rounds the relay has finished, successful or not (each looks for rows once at least). */
    long rounds() {
        return rounds.get();
    }

    /** Since when and why the relay has been failing to send, or empty while its rounds succeed. */
    public Optional<Failure> failure() {
        return Optional.ofNullable(failure);
    }

    void wake() {
        wakeups.release();
    }

    private void run() {
        while (running) {
            try {
                wakeups.tryAcquire(properties.pollInterval().toMillis(), TimeUnit.MILLISECONDS);
                wakeups.drainPermits();
                while (running && relayBatch() > 0) {
                    // drain the backlog
                }
                cleanup();
                if (failure != null) {
                    log.info("outbox relay sends again after failing since {}", failure.since());
                    failure = null;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (running) {
                    Failure before = failure;
                    failure = new Failure(before == null ? clock.instant() : before.since(),
                            e.getMessage() == null ? e.toString() : e.getMessage());
                    failed.increment();
                    log.warn("outbox relay failed, retrying in {}: {}", properties.pollInterval(), e.toString());
                    sleep(properties.pollInterval());
                }
            } finally {
                rounds.incrementAndGet();
            }
        }
    }

    /** Sends one batch; returns how many rows it published. */
    int relayBatch() {
        Integer n = tx.execute(status -> {
            // One relay at a time per outbox (the schema's: services that share a database each have
            // their own): with SKIP LOCKED alone, a second instance would send later rows while the
            // first still sends (or retries) earlier ones, and events with one key would reach Kafka
            // out of order.
            Boolean leader = jdbc.queryForObject("select pg_try_advisory_xact_lock(?, hashtext(current_schema()))",
                    Boolean.class, RELAY_LOCK);
            if (!Boolean.TRUE.equals(leader)) {
                return 0;
            }
            List<Row> rows = jdbc.query(
                    "select id, topic, message_key, payload from outbox where published_at is null "
                            + "order by id limit ? for update skip locked",
                    (rs, i) -> new Row(rs.getLong(1), rs.getString(2), rs.getString(3), rs.getString(4)),
                    properties.batchSize());
            if (rows.isEmpty()) {
                return 0;
            }
            List<CompletableFuture<?>> sends = new ArrayList<>(rows.size());
            for (Row r : rows) {
                sends.add(kafka.send(r.topic(), r.key(), r.payload()));
            }
            try {
                CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
                        .get(properties.sendTimeout().toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                throw new IllegalStateException("Kafka did not take the outbox batch: " + e, e);
            }
            jdbc.batchUpdate("update outbox set published_at = now() where id = ?",
                    rows.stream().map(r -> new Object[]{r.id()}).toList());
            return rows.size();
        });
        int count = n == null ? 0 : n;
        published.increment(count);
        return count;
    }

    private void cleanup() {
        Instant now = clock.instant();
        if (lastCleanup != null && now.isBefore(lastCleanup.plus(CLEANUP_EVERY))) {
            return;
        }
        lastCleanup = now;
        jdbc.update("delete from outbox where published_at < now() - make_interval(secs => ?)",
                (double) properties.retention().toSeconds());
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the relay's thread (waiting up to 5 s for a batch in flight); harmless to repeat. */
    @Override
    public void close() throws InterruptedException {
        Thread w;
        synchronized (this) {
            running = false;
            w = worker;
        }
        wakeups.release();
        if (w != null) {
            w.join(Duration.ofSeconds(5));
        }
    }
}
