package io.bootswarm.allocator.plan;

import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocator.TestProperties;
import io.bootswarm.allocator.leader.InMemoryLeaseTable;
import io.bootswarm.allocator.leader.LeaderElection;
import io.bootswarm.allocator.leader.LeaderProperties;
import io.bootswarm.allocator.leader.Term;
import io.bootswarm.allocator.reports.ReportStore;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * Two planners on one lease table (lease 5 s, renewed every 1 s, one planning period 1 s): only the
 * leader publishes, the standby takes over once the leader's lease expires and publishes in its next
 * round, and a leader deposed while it still believes it leads (its clock behind) has its plan refused
 * by the fence its store checks on publishing.
 */
class PlannerFailoverTest {

    private static final Duration LEASE = Duration.ofSeconds(5);
    private static final Duration RENEW = Duration.ofSeconds(1);

    private final InMemoryLeaseTable table = new InMemoryLeaseTable();
    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    /** Every plan a store committed, with the term it was published in. */
    private final List<Published> published = new ArrayList<>();

    private record Published(PlanRecord plan, Term term) {
    }

    private final class Replica {
        final LeaderElection election;
        final Planner planner;

        Replica(String instance, ManualClock clock) {
            election = new LeaderElection(table, new LeaderProperties(true, instance, LEASE, RENEW), clock,
                    new SimpleMeterRegistry());
            ReportStore reports = mock(ReportStore.class);
            SwarmReport report = new SwarmReport(UUID.randomUUID(), clock.instant(), "host-1", 4_000_000,
                    List.of(new SwarmReport.Entry("ab".repeat(20), new UUID(0, 1), "g1", 1_000_000_000L, 1.0)));
            when(reports.live()).thenReturn(List.of(report));
            PlanStore store = mock(PlanStore.class);
            // as PlanStore.publish: the fence first, in the publishing transaction
            doAnswer(i -> {
                Term term = i.getArgument(1);
                election.fence(term);
                published.add(new Published(i.getArgument(0), term));
                return null;
            }).when(store).publish(any(), any());
            when(store.latestId()).thenAnswer(i -> published.isEmpty() ? Optional.empty()
                    : Optional.of(published.getLast().plan().planId()));
            when(store.latest()).thenAnswer(i -> published.isEmpty() ? Optional.empty()
                    : Optional.of(published.getLast().plan()));
            planner = new Planner(reports, store, TestProperties.of(Strategy.CROSS_OPT), clock,
                    new SimpleMeterRegistry(), election);
        }
    }

    @Test
    void onlyTheLeaderPublishesAndTheStandbyPublishesInItsFirstRoundAfterTheLeaseExpires() {
        Replica a = new Replica("a", clock);
        Replica b = new Replica("b", clock);
        a.election.tick();
        b.election.tick();
        for (int period = 0; period < 5; period++) {
            clock.advance(RENEW);
            a.election.tick();
            b.election.tick();
            assertThat(a.planner.plan()).isPresent();
            assertThat(b.planner.plan()).isEmpty();
        }
        assertThat(published).hasSize(5).allSatisfy(p -> assertThat(p.term().holder()).isEqualTo("a"));
        assertThat(b.planner.current()).as("the standby follows the stored plans")
                .contains(published.getLast().plan());
        Instant lastOfA = published.getLast().plan().at();

        // a is killed: no more ticks or rounds of it; b ticks and plans every second
        int rounds = 0;
        while (published.size() == 5) {
            clock.advance(RENEW);
            b.election.tick();
            b.planner.plan();
            rounds++;
        }

        Published first = published.getLast();
        assertThat(first.term().holder()).isEqualTo("b");
        assertThat(first.term().epoch()).isEqualTo(2);
        assertThat(Duration.between(lastOfA, first.plan().at())).as("from a's last plan to b's first")
                .isEqualTo(LEASE);
        assertThat(rounds).isEqualTo(5);
    }

    @Test
    void aLeaderDeposedWhileItsClockSaysItStillLeadsHasItsPlanRefused() {
        ManualClock ahead = new ManualClock(clock.instant().plus(LEASE));
        Replica a = new Replica("a", clock);
        a.election.tick();
        Replica b = new Replica("b", ahead);
        b.election.tick();
        assertThat(b.election.current()).as("by b's clock a's lease has expired").isPresent();
        assertThat(a.election.current()).as("by a's clock it still leads").isPresent();

        assertThat(a.planner.plan()).isEmpty();
        assertThat(b.planner.plan()).isPresent();

        assertThat(published).singleElement().satisfies(p -> {
            assertThat(p.term().holder()).isEqualTo("b");
            assertThat(p.term().epoch()).isEqualTo(2);
        });
    }
}
