package io.bootswarm.allocator.plan;

import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocator.AllocatorProperties;
import io.bootswarm.allocator.leader.Leadership;
import io.bootswarm.allocator.leader.LeadershipLostException;
import io.bootswarm.allocator.leader.Term;
import io.bootswarm.allocator.reports.Inputs;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.outbox.Outbox;
import org.springframework.data.domain.PageRequest;
import org.springframework.stereotype.Component;
import org.springframework.transaction.annotation.Transactional;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The plan history in PostgreSQL (schema {@code allocator}): each plan with its inputs, written in
 * one transaction with its {@link AllocationPlan} event (the outbox sends it after commit), so a
 * plan is published if and only if it is stored, and both only while this instance holds the planner
 * lease. Pruned by age and count.
 */
@Component
public class PlanStore {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<List<PlanRecord.Line>> LINES = new TypeReference<>() {
    };
    private static final String STRATEGY = "strategy";

    private final PlanRepository plans;
    private final SettingRepository settings;
    private final Outbox outbox;
    private final AllocatorProperties properties;
    private final Clock clock;
    private final Leadership leadership;

    PlanStore(PlanRepository plans, SettingRepository settings, Outbox outbox, AllocatorProperties properties,
              Clock clock, Leadership leadership) {
        this.leadership = leadership;
        this.plans = plans;
        this.settings = settings;
        this.outbox = outbox;
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * Stores a plan and queues its event, if {@code term} still holds the planner lease when the
     * transaction commits ({@link Leadership#fence}).
     *
     * @throws LeadershipLostException when this instance was deposed: nothing is stored or published
     */
    @Transactional
    void publish(PlanRecord plan, Term term) {
        leadership.fence(term);
        plans.save(new PlanEntity(plan, JSON.writeValueAsString(plan.swarms()), term));
        outbox.publish(Topics.ALLOCATION_PLANS, event(plan));
    }

    /** The event of a plan: its rates per piece group (or per image, for image-level plans). */
    static AllocationPlan event(PlanRecord plan) {
        List<AllocationPlan.Rate> rates = plan.swarms().stream().map(l -> plan.level() == Inputs.Level.GROUP
                ? AllocationPlan.Rate.ofGroup(l.swarmId(), l.seedRate())
                : AllocationPlan.Rate.ofImage(UUID.fromString(l.swarmId()), l.seedRate())).toList();
        return new AllocationPlan(UUID.randomUUID(), plan.at(), plan.planId(), plan.strategy().name(),
                plan.seedUpload(), plan.validUntil(), plan.maxRemainingSeconds(), plan.iterations(), plan.residual(),
                plan.gap(), rates);
    }

    /** The newest stored plan. */
    @Transactional(readOnly = true)
    Optional<PlanRecord> latest() {
        return plans.findFirstByOrderByCreatedAtDescIdAsc().map(this::record);
    }

    /** The id of the newest stored plan: what a standby checks before reading the whole plan. */
    @Transactional(readOnly = true)
    Optional<UUID> latestId() {
        return plans.summaries(PageRequest.of(0, 1)).stream().findFirst().map(PlanSummary::planId);
    }

    @Transactional(readOnly = true)
    public Optional<PlanRecord> find(UUID id) {
        return plans.findById(id).map(this::record);
    }

    /** One page of the history, newest first. */
    @Transactional(readOnly = true)
    public List<PlanSummary> page(int page, int size) {
        return plans.summaries(PageRequest.of(page, size));
    }

    @Transactional(readOnly = true)
    public long count() {
        return plans.count();
    }

    /** Deletes plans older than {@code history-max-age} and beyond the newest {@code history-max-count}. */
    @Transactional
    int prune() {
        return plans.deleteOlderThan(clock.instant().minus(properties.historyMaxAge()))
                + plans.deleteBeyond(properties.historyMaxCount());
    }

    /** The strategy set through the API, if any. */
    @Transactional(readOnly = true)
    Optional<Strategy> strategy() {
        return settings.findById(STRATEGY).map(s -> Strategy.valueOf(s.value()));
    }

    @Transactional
    void setStrategy(Strategy strategy) {
        Instant now = clock.instant();
        settings.findById(STRATEGY).ifPresentOrElse(s -> s.set(strategy.name(), now),
                () -> settings.save(new SettingEntity(STRATEGY, strategy.name(), now)));
    }

    private PlanRecord record(PlanEntity e) {
        PlanSummary s = e.summary();
        return new PlanRecord(s.planId(), s.at(), Strategy.valueOf(s.strategy()), Inputs.Level.valueOf(s.level()),
                s.seedUpload(), s.validUntil(), s.maxRemainingSeconds(), s.lowerBound(), s.gap(), s.iterations(),
                s.residual(), s.solveNanos(), s.hosts(), JSON.readValue(e.swarms(), LINES));
    }
}
