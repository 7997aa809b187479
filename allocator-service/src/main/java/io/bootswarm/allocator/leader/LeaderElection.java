package io.bootswarm.allocator.leader;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.dao.DataAccessException;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Elects the one allocator replica that plans, with a lease row in PostgreSQL (the {@code leader_lease}
 * table, role {@value #ROLE}): every {@code renew-interval} the leader extends its lease to
 * {@code now + lease-duration} and each standby tries to take it, which succeeds only once it has expired
 * (or was released). Every take increments the lease's epoch, the fencing token stored with each plan.
 *
 * <p>Why a lease and not the alternatives already in the fleet:
 * <ul>
 *   <li>a session-level advisory lock is released only when PostgreSQL notices that the holder's
 *       connection is dead: at once for a killed process whose kernel closes the socket, but after the TCP
 *       keepalive timeouts (minutes by default) when the host or the network dies; and it carries no epoch,
 *       so it cannot fence a leader that was paused past its loss;</li>
 *   <li>a Kafka consumer group of one partition fails over within {@code session.timeout.ms} (45 s by
 *       default) plus a rebalance, and the assigned member learns of its loss only at its next poll;</li>
 *   <li>the lease fails over within {@code lease-duration + renew-interval} (6 s with the defaults) whatever
 *       died, and its epoch fences: {@link #fence} runs in the transaction that stores a plan and its outbox
 *       event, takes the lease row {@code for share}, and a takeover (which must lock that row) either commits
 *       before, and the plan is refused, or waits for the plan's commit.</li>
 * </ul>
 *
 * <p>Expiry is judged by the clocks of the instances (the one that holds the lease, and the one that
 * takes it): a skew between them shortens or stretches the handover by that much, but never lets two
 * plans of different epochs interleave, since storing a plan checks the epoch under the row lock.
 * A standby does everything but plan: it reads every swarm report (a consumer group of its own) and
 * follows the stored plans, so it plans at once, warm-started, when it is elected. A leader that stops
 * gracefully releases its lease, so a rolling update hands over within one renew interval.
 */
public class LeaderElection implements Leadership, SmartLifecycle {

    /** The lease's role name. */
    public static final String ROLE = "planner";

    private static final Logger log = LoggerFactory.getLogger(LeaderElection.class);

    private final LeaseTable table;
    private final LeaderProperties properties;
    private final Clock clock;
    private final List<Runnable> onElected = new CopyOnWriteArrayList<>();
    private final Counter elected;
    private final Counter deposed;
    private volatile Term term;
    private volatile boolean unreachable;
    private ScheduledExecutorService thread;

    public LeaderElection(LeaseTable table, LeaderProperties properties, Clock clock, MeterRegistry meters) {
        this.table = table;
        this.properties = properties;
        this.clock = clock;
        Gauge.builder("bootswarm.allocator.leader", this, e -> e.current().isPresent() ? 1 : 0)
                .description("1 while this instance is the planning leader, 0 while it is a standby").register(meters);
        this.elected = Counter.builder("bootswarm.allocator.leader.changes").tag("to", "leader")
                .description("leadership changes of this instance").register(meters);
        this.deposed = Counter.builder("bootswarm.allocator.leader.changes").tag("to", "standby")
                .description("leadership changes of this instance").register(meters);
    }

    @Override
    public Optional<Term> current() {
        Term t = term;
        return t != null && clock.instant().isBefore(t.expiresAt()) ? Optional.of(t) : Optional.empty();
    }

    @Override
    public void whenElected(Runnable action) {
        onElected.add(action);
    }

    @Override
    public void fence(Term t) {
        if (!table.holds(ROLE, t.holder(), t.epoch(), clock.instant())) {
            throw new LeadershipLostException(t);
        }
    }

    /** This instance's name in the lease. */
    public String instance() {
        return properties.instance();
    }

    /**
     * One round: renew the lease held, or try to take it. A failure to reach the database keeps the term
     * until it expires by the local clock; then this instance stands by. The scheduler calls it every
     * {@code renew-interval}; tests call it by hand with a manual clock.
     */
    public synchronized void tick() {
        Instant now = clock.instant();
        Instant until = now.plus(properties.leaseDuration());
        Term held = term;
        try {
            if (held != null) {
                if (table.renew(ROLE, held.holder(), held.epoch(), now, until)) {
                    term = new Term(held.holder(), held.epoch(), until);
                    reachable();
                    return;
                }
                lose(held, "lease taken by another instance or expired");
            }
            OptionalLong epoch = table.acquire(ROLE, properties.instance(), now, until);
            reachable();
            if (epoch.isPresent()) {
                term = new Term(properties.instance(), epoch.getAsLong(), until);
                elected.increment();
                log.info("leading as '{}' with epoch {}", properties.instance(), epoch.getAsLong());
                onElected.forEach(Runnable::run);
            }
        } catch (DataAccessException e) {
            if (!unreachable) {
                log.warn("cannot reach the lease table; {}", held == null ? "standing by"
                        : "leading until the lease expires at " + held.expiresAt(), e);
                unreachable = true;
            }
            if (held != null && !now.isBefore(held.expiresAt())) {
                lose(held, "lease expired while the database was unreachable");
            }
        }
    }

    private void lose(Term held, String why) {
        term = null;
        deposed.increment();
        log.warn("standing by, no longer leading with epoch {}: {}", held.epoch(), why);
    }

    private void reachable() {
        if (unreachable) {
            log.info("the lease table is reachable again");
            unreachable = false;
        }
    }

    private void tickSafely() {
        try {
            tick();
        } catch (RuntimeException e) {
            log.warn("leader election round failed", e);
        }
    }

    @Override
    public synchronized void start() {
        thread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("allocator-leader")
                .factory());
        thread.scheduleWithFixedDelay(this::tickSafely, 0, properties.renewInterval().toMillis(),
                TimeUnit.MILLISECONDS);
    }

    /** Stops electing and releases a lease held, so that a standby takes over within one renew interval. */
    @Override
    public void stop() {
        halt();
        synchronized (this) {
            Term held = term;
            term = null;
            if (held != null) {
                try {
                    table.release(ROLE, held.holder(), held.epoch(), clock.instant());
                    log.info("released the lease of epoch {}", held.epoch());
                } catch (DataAccessException e) {
                    log.warn("could not release the lease of epoch {}; it expires at {}", held.epoch(),
                            held.expiresAt());
                }
            }
        }
    }

    /**
     * Stops as a killed process would: no renewal, no release, the lease left to expire. Tests use it to
     * stand in for {@code SIGKILL} in one JVM.
     */
    public void crash() {
        halt();
        term = null;
    }

    private void halt() {
        ScheduledExecutorService t;
        synchronized (this) {
            t = thread;
            thread = null;
        }
        if (t != null) {
            t.shutdownNow();
            try {
                t.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return thread != null;
    }

    /** Starts before the planner and stops after it, so that a plan is never made without a lease to check. */
    @Override
    public int getPhase() {
        return DEFAULT_PHASE - 1;
    }
}
