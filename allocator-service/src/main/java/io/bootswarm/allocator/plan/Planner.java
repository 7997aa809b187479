package io.bootswarm.allocator.plan;

import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocator.AllocatorProperties;
import io.bootswarm.allocator.leader.Leadership;
import io.bootswarm.allocator.leader.LeadershipLostException;
import io.bootswarm.allocator.leader.Term;
import io.bootswarm.allocator.reports.Inputs;
import io.bootswarm.allocator.reports.ProblemBuilder;
import io.bootswarm.allocator.reports.ReportStore;
import io.bootswarm.common.events.SwarmReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Makes a plan every {@code bootswarm.allocator.period}: the live reports are aggregated into the
 * problem ({@link ProblemBuilder}: piece groups, or images for ISO), solved with the current
 * strategy warm-started from the previous plan, stored and published ({@link PlanStore}). With no
 * live report there is nothing to plan: no plan is published, and the seed falls back to its own
 * split once the last one expires.
 *
 * <p>On start the strategy set through the API and the last plan are read back from PostgreSQL: the
 * last plan is the current one (for the API) and the warm start of the next solve, which happens
 * as soon as reports arrive again. Solutions are made on one thread, so solves never overlap; a
 * strategy change makes a plan at once.
 *
 * <p>With several replicas only the elected one plans ({@link Leadership}); the others are hot
 * standbys: every period they follow the newest stored plan and strategy (their report stores fill from
 * Kafka as the leader's does), and when elected they plan at once, warm-started from the deposed leader's
 * last plan. A plan whose publishing finds the lease lost is dropped.
 */
@Component
public class Planner implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(Planner.class);

    private final ReportStore reports;
    private final PlanStore store;
    private final AllocatorProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;
    private volatile Strategy strategy;
    private final Object strategyLock = new Object();
    private volatile PlanRecord current;
    /** The solver's last plan, the next warm start; touched by the planning thread only. */
    private AllocationSolution warm;
    private ScheduledExecutorService thread;
    private volatile boolean idle = true;
    private volatile boolean failing;
    private final AtomicLong rounds = new AtomicLong();
    private final Leadership leadership;
    /** Whether the last round found this instance leading; touched by the planning thread only. */
    private boolean leading;

    Planner(ReportStore reports, PlanStore store, AllocatorProperties properties, Clock clock, MeterRegistry meters,
            Leadership leadership) {
        this.leadership = leadership;
        this.reports = reports;
        this.store = store;
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
        this.strategy = properties.strategy();
        Gauge.builder("bootswarm.allocator.plan.max.remaining.seconds", this,
                p -> p.current == null ? Double.NaN : p.current.maxRemainingSeconds())
                .description("M of the current plan: predicted time until the slowest swarm is done").register(meters);
        Gauge.builder("bootswarm.allocator.plan.gap", this, p -> p.current == null ? Double.NaN : p.current.gap())
                .description("(M - lower bound) / M of the current plan").register(meters);
        Gauge.builder("bootswarm.allocator.plan.swarms", this, p -> p.current == null ? 0 : p.current.swarms().size())
                .description("swarms of the current plan").register(meters);
        Gauge.builder("bootswarm.allocator.plan.age.seconds", this, p -> p.current == null ? Double.NaN
                        : Duration.between(p.current.at(), p.clock.instant()).toMillis() / 1000.0)
                .description("age of the current plan").register(meters);
        leadership.whenElected(this::planSoon);
    }

    @Override
    public synchronized void start() {
        strategy = store.strategy().orElse(properties.strategy());
        current = store.latest().orElse(null);
        warm = warmStartOf(current);
        if (current != null) {
            log.info("resuming with strategy {} from plan {} of {} ({} swarms, M = {} s)", strategy, current.planId(),
                    current.at(), current.swarms().size(), current.maxRemainingSeconds());
        } else {
            log.info("starting with strategy {}, no plan yet", strategy);
        }
        thread = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("allocator-planner")
                .factory());
        long period = properties.period().toMillis();
        thread.scheduleWithFixedDelay(this::planSafely, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    public synchronized void stop() {
        if (thread != null) {
            thread.shutdownNow();
            try {
                thread.awaitTermination(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            thread = null;
        }
    }

    @Override
    public synchronized boolean isRunning() {
        return thread != null;
    }

    public Strategy strategy() {
        return strategy;
    }

    /** The newest plan (made by this instance, or the last stored one), if any. */
    public Optional<PlanRecord> current() {
        return Optional.ofNullable(current);
    }

    /** Switches the strategy (kept across restarts) and makes a plan with it at once. */
    public synchronized void setStrategy(Strategy next) {
        Strategy before;
        synchronized (strategyLock) {
            store.setStrategy(next);
            before = strategy;
            strategy = next;
        }
        if (before != next) {
            log.info("strategy {} -> {}", before, next);
        }
        planSoon();
    }

    private synchronized void planSoon() {
        if (thread != null) {
            thread.execute(this::planSafely);
        }
    }

    private void planSafely() {
        try {
            plan();
            if (failing) {
                log.info("planning works again");
                failing = false;
            }
        } catch (RuntimeException e) {
            if (!failing) {
                log.warn("planning failed; trying again every {}", properties.period(), e);
                failing = true;
            }
        } finally {
            rounds.incrementAndGet();
        }
    }

    /**
     * Planning rounds this instance has finished (with a plan, without one for want of reports, or failed):
     * what tests wait for, instead of a stretch of time, to know the planner has looked again.
     */
    public long rounds() {
        return rounds.get();
    }

    /** One period: aggregate, solve, store and publish. Empty when no host reported, or on a standby. */
    Optional<PlanRecord> plan() {
        Optional<Term> term = leadership.current();
        if (term.isEmpty()) {
            if (leading) {
                log.info("standing by: another instance plans");
                leading = false;
            }
            follow();
            return Optional.empty();
        }
        if (!leading) {
            follow();
            leading = true;
        }
        followStrategy();
        List<SwarmReport> live = reports.live();
        Strategy s = strategy;
        Inputs inputs = ProblemBuilder.build(live, s == Strategy.ISO ? Inputs.Level.IMAGE : Inputs.Level.GROUP,
                properties.seedUpload().toBytes());
        if (inputs.isEmpty()) {
            if (!idle) {
                log.info("no live swarm reports: publishing no plans until hosts report again");
                idle = true;
            }
            return Optional.empty();
        }
        Timer.Sample sample = Timer.start(meters);
        AllocationSolution plan = s.solver().solve(inputs.problem(), warm);
        sample.stop(Timer.builder("bootswarm.allocator.solve").tag("strategy", s.name())
                .description("time to solve one period's problem").register(meters));
        Instant at = clock.instant().truncatedTo(ChronoUnit.MICROS);
        PlanRecord record = PlanRecord.of(UUID.randomUUID(), at, at.plus(properties.planValidity()), inputs, plan);
        try {
            store.publish(record, term.get());
        } catch (LeadershipLostException e) {
            log.warn("plan {} dropped: {}", record.planId(), e.getMessage());
            leading = false;
            return Optional.empty();
        }
        current = record;
        warm = plan;
        Counter.builder("bootswarm.allocator.plans.published").tag("strategy", s.name())
                .description("plans stored and published").register(meters).increment();
        if (idle) {
            log.info("publishing plans: {} {} swarms from {} hosts, M = {} s", inputs.swarms().size(),
                    inputs.level().name().toLowerCase(), inputs.hosts(), plan.maxRemainingTime());
            idle = false;
        }
        log.debug("plan {}: {}", record.planId(), plan);
        store.prune();
        return Optional.of(record);
    }

    /** Takes the newest stored plan (another instance's) as the current one and the next warm start. */
    private void follow() {
        Optional<UUID> latest = store.latestId();
        if (latest.isPresent() && (current == null || !current.planId().equals(latest.get()))) {
            store.latest().ifPresent(p -> {
                current = p;
                warm = warmStartOf(p);
            });
        }
        followStrategy();
    }

    /**
     * Takes the stored strategy (a switch made on another replica). Under the lock {@link #setStrategy} holds
     * while it stores and adopts a switch, so a read from before a switch here cannot undo it.
     */
    private void followStrategy() {
        synchronized (strategyLock) {
            store.strategy().ifPresent(s -> strategy = s);
        }
    }

    private static AllocationSolution warmStartOf(PlanRecord record) {
        try {
            return record == null ? null : record.asSolverPlan();
        } catch (IllegalArgumentException e) {
            log.warn("the last stored plan cannot warm-start the solver: {}", e.getMessage());
            return null;
        }
    }
}
