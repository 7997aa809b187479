package io.bootswarm.allocator.plan;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.allocator.TestProperties;
import io.bootswarm.allocator.leader.Leadership;
import io.bootswarm.allocator.reports.Inputs;
import io.bootswarm.allocator.reports.ReportStore;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.SwarmReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

class PlannerTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00.123456789Z");
    private static final long US = 100L << 20;

    private final ManualClock clock = new ManualClock(T0);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<SwarmReport> live = new ArrayList<>();
    private final ReportStore reports = mock(ReportStore.class);
    private final PlanStore store = mock(PlanStore.class);
    private Planner planner;

    {
        when(reports.live()).thenAnswer(i -> List.copyOf(live));
    }

    private Planner planner(Strategy configured) {
        planner = new Planner(reports, store, TestProperties.of(configured), clock, meters, Leadership.alone("test"));
        return planner;
    }

    @AfterEach
    void stop() {
        if (planner != null) {
            planner.stop();
        }
    }

    /**
     * 40 hosts over 4 images; each image has its own group and one more, which images 1 and 2 share, with
     * uneven missing bytes and capacities, so that the optimum is far from an equal split.
     */
    private void report(long seed) {
        Random random = new Random(seed);
        UUID[] images = new UUID[4];
        for (int i = 0; i < images.length; i++) {
            images[i] = new UUID(0, i + 1);
        }
        for (int h = 0; h < 40; h++) {
            int img = h % 4;
            List<SwarmReport.Entry> entries = new ArrayList<>();
            long own = (long) (random.nextDouble() * 400e6 * (img + 1));
            long shared = (long) (random.nextDouble() * 200e6);
            entries.add(new SwarmReport.Entry("ab".repeat(20), images[img], null, own + shared, 1.0));
            entries.add(new SwarmReport.Entry("ab".repeat(20), images[img], "own" + img, own, 0.3));
            entries.add(new SwarmReport.Entry("ab".repeat(20), images[img], "shared" + Math.min(img, (img + 3) % 4),
                    shared, 0.7));
            live.add(new SwarmReport(UUID.randomUUID(), T0, "host-" + h,
                    (long) (1e6 + random.nextDouble() * 4e6), entries));
        }
    }

    static AllocationProblem problemOf(PlanRecord plan) {
        return AllocationProblem.of(plan.swarms().stream().map(PlanRecord.Line::swarmId).toList(),
                plan.swarms().stream().mapToDouble(PlanRecord.Line::remainingBytes).toArray(),
                plan.swarms().stream().mapToDouble(PlanRecord.Line::peerUploadRate).toArray(),
                plan.swarms().stream().mapToDouble(PlanRecord.Line::popularity).toArray(), plan.seedUpload());
    }

    @Test
    void noLiveReportsNoPlan() {
        planner(Strategy.CROSS_OPT);
        assertThat(planner.plan()).isEmpty();
        assertThat(planner.plan()).isEmpty();
        verify(store, never()).publish(any(), any());
        assertThat(planner.current()).isEmpty();
    }

    @Test
    void crossOptPlanIsWithinOnePercentOfTheExactOptimumAndIsStoredAndPublished() {
        planner(Strategy.CROSS_OPT);
        report(7);

        PlanRecord plan = planner.plan().orElseThrow();

        verify(store).publish(eq(plan), any());
        verify(store).prune();
        assertThat(planner.current()).contains(plan);
        assertThat(plan.strategy()).isEqualTo(Strategy.CROSS_OPT);
        assertThat(plan.level()).isEqualTo(Inputs.Level.GROUP);
        assertThat(plan.hosts()).isEqualTo(40);
        assertThat(plan.swarms()).hasSize(7);
        assertThat(plan.at()).isEqualTo(Instant.parse("2026-01-01T00:00:00.123456Z"));
        assertThat(plan.validUntil()).isEqualTo(plan.at().plusSeconds(2));
        assertThat(plan.swarms().stream().mapToDouble(PlanRecord.Line::seedRate).sum()).isCloseTo(US, within(US * 1e-9));
        assertThat(plan.swarms()).allSatisfy(l -> assertThat(l.seedRate()).isGreaterThanOrEqualTo(0));

        AllocationSolution exact = Strategy.EXACT.solver().solve(problemOf(plan));
        double m = plan.swarms().stream().mapToDouble(PlanRecord.Line::predictedSeconds).max().orElseThrow();
        assertThat(m).isCloseTo(plan.maxRemainingSeconds(), within(m * 1e-9));
        assertThat(m).isLessThanOrEqualTo(exact.maxRemainingTime() * 1.01);
        AllocationSolution equal = Strategy.CROSS_EQU.solver().solve(problemOf(plan));
        assertThat(equal.maxRemainingTime()).as("the test problem must tell the strategies apart")
                .isGreaterThan(exact.maxRemainingTime() * 1.2);
    }

    @Test
    void isoPlansPerImage() {
        planner(Strategy.ISO);
        report(3);

        PlanRecord plan = planner.plan().orElseThrow();

        assertThat(plan.level()).isEqualTo(Inputs.Level.IMAGE);
        assertThat(plan.swarms()).extracting(PlanRecord.Line::swarmId)
                .containsExactly(new UUID(0, 1).toString(), new UUID(0, 2).toString(), new UUID(0, 3).toString(),
                        new UUID(0, 4).toString());
        assertThat(plan.swarms()).extracting(PlanRecord.Line::seedRate).allSatisfy(r ->
                assertThat(r).isCloseTo(US / 4.0, within(1.0)));
        assertThat(PlanStore.event(plan).rates()).allSatisfy(r -> {
            assertThat(r.groupId()).isNull();
            assertThat(r.imageId()).isNotNull();
        });
    }

    @Test
    void theEventCarriesThePlansRatesPerGroup() {
        planner(Strategy.CROSS_PROP);
        report(5);
        PlanRecord plan = planner.plan().orElseThrow();

        var event = PlanStore.event(plan);

        assertThat(event.planId()).isEqualTo(plan.planId());
        assertThat(event.strategy()).isEqualTo("CROSS_PROP");
        assertThat(event.validUntil()).isEqualTo(plan.validUntil());
        assertThat(event.seedUpload()).isEqualTo(US);
        assertThat(event.rates()).extracting(AllocationPlan.Rate::groupId)
                .containsExactlyElementsOf(plan.swarms().stream().map(PlanRecord.Line::swarmId).toList());
        assertThat(event.rates()).extracting(AllocationPlan.Rate::bytesPerSecond)
                .containsExactlyElementsOf(plan.swarms().stream().map(PlanRecord.Line::seedRate).toList());
    }

    @Test
    void startResumesTheStoredStrategyAndPlanAndWarmStartsFromIt() {
        planner(Strategy.CROSS_OPT);
        report(11);
        PlanRecord before = planner.plan().orElseThrow();
        int coldIterations = before.iterations();

        Planner restarted = planner(Strategy.CROSS_OPT);
        when(store.strategy()).thenReturn(Optional.of(Strategy.CROSS_OPT));
        when(store.latest()).thenReturn(Optional.of(before));
        restarted.start();
        assertThat(restarted.current()).contains(before);
        assertThat(restarted.strategy()).isEqualTo(Strategy.CROSS_OPT);
        restarted.stop();

        PlanRecord after = restarted.plan().orElseThrow();
        assertThat(after.iterations()).as("warm start from the stored plan on the same inputs")
                .isLessThan(coldIterations);
        assertThat(after.maxRemainingSeconds()).isCloseTo(before.maxRemainingSeconds(),
                within(before.maxRemainingSeconds() * 0.01));
    }

    @Test
    void aStrategyKeptInTheStoreWinsOverTheConfiguredOneAndASwitchIsPersisted() {
        AtomicReference<Strategy> kept = new AtomicReference<>(Strategy.CROSS_EQU);
        when(store.strategy()).thenAnswer(i -> Optional.of(kept.get()));
        doAnswer(i -> {
            kept.set(i.getArgument(0));
            return null;
        }).when(store).setStrategy(any());
        when(store.latest()).thenReturn(Optional.empty());
        planner(Strategy.CROSS_OPT).start();
        assertThat(planner.strategy()).isEqualTo(Strategy.CROSS_EQU);
        planner.stop();

        planner.setStrategy(Strategy.EXACT);
        verify(store).setStrategy(Strategy.EXACT);
        report(2);
        PlanRecord plan = planner.plan().orElseThrow();
        assertThat(plan.strategy()).isEqualTo(Strategy.EXACT);
        verify(store, times(1)).publish(any(), any());
    }
}
