package io.bootswarm.allocator.leader;

import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The lease between two replicas, driven tick by tick on a manual clock (lease 5 s, renewed every 1 s). */
class LeaderElectionTest {

    private static final Duration LEASE = Duration.ofSeconds(5);
    private static final Duration RENEW = Duration.ofSeconds(1);

    private final ManualClock clock = new ManualClock();
    private final InMemoryLeaseTable table = new InMemoryLeaseTable();
    private final SimpleMeterRegistry metersA = new SimpleMeterRegistry();
    private final SimpleMeterRegistry metersB = new SimpleMeterRegistry();
    private final LeaderElection a = election("a", metersA);
    private final LeaderElection b = election("b", metersB);

    private LeaderElection election(String instance, SimpleMeterRegistry meters) {
        return new LeaderElection(table, new LeaderProperties(true, instance, LEASE, RENEW), clock, meters);
    }

    private static double gauge(SimpleMeterRegistry meters) {
        return meters.get("bootswarm.allocator.leader").gauge().value();
    }

    private static double changes(SimpleMeterRegistry meters, String to) {
        return meters.get("bootswarm.allocator.leader.changes").tag("to", to).counter().count();
    }

    @Test
    void theFirstToTickLeadsAndKeepsLeadingByRenewingWhileTheOtherStandsBy() {
        a.tick();
        b.tick();
        assertThat(a.current()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(1));
        assertThat(b.current()).isEmpty();

        for (int i = 0; i < 20; i++) {
            clock.advance(RENEW);
            a.tick();
            b.tick();
        }

        assertThat(a.current()).hasValueSatisfying(t -> {
            assertThat(t.epoch()).isEqualTo(1);
            assertThat(t.expiresAt()).isEqualTo(clock.instant().plus(LEASE));
        });
        assertThat(b.current()).isEmpty();
        assertThat(gauge(metersA)).isEqualTo(1);
        assertThat(gauge(metersB)).isEqualTo(0);
        assertThat(changes(metersA, "leader")).isEqualTo(1);
        assertThat(changes(metersB, "leader")).isEqualTo(0);
    }

    @Test
    void whenTheLeaderStopsRenewingTheStandbyTakesOverAtItsFirstTickAfterTheLeaseExpiresWithTheNextEpoch() {
        AtomicInteger electedB = new AtomicInteger();
        b.whenElected(electedB::incrementAndGet);
        a.tick();
        b.tick();
        // a is killed right after this renewal: no tick, no release
        int ticks = 0;
        while (b.current().isEmpty()) {
            clock.advance(RENEW);
            b.tick();
            ticks++;
        }

        assertThat(ticks).as("renew intervals from the leader's last renewal to the takeover")
                .isEqualTo((int) (LEASE.toMillis() / RENEW.toMillis()));
        assertThat(b.current()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(2));
        assertThat(electedB).hasValue(1);
        assertThat(a.current()).as("the lease has expired by a's clock too").isEmpty();
        assertThat(gauge(metersA)).isEqualTo(0);
        assertThat(gauge(metersB)).isEqualTo(1);
    }

    @Test
    void aDeposedLeaderCannotRenewNorPassTheFenceAndStandsBy() {
        a.tick();
        Term first = a.current().orElseThrow();
        clock.advance(LEASE);
        b.tick();
        assertThat(b.current()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(2));

        assertThatThrownBy(() -> a.fence(first)).isInstanceOf(LeadershipLostException.class);
        a.tick();

        assertThat(a.current()).isEmpty();
        assertThat(changes(metersA, "standby")).isEqualTo(1);
        b.fence(b.current().orElseThrow());
        assertThat(table.holds(LeaderElection.ROLE, "a", 1, clock.instant())).isFalse();
    }

    @Test
    void aLeaderPausedPastItsLeaseThatTicksAgainFirstTakesANewEpochSoItsOldTermIsFenced() {
        a.tick();
        Term first = a.current().orElseThrow();
        clock.advance(LEASE.plus(RENEW));

        a.tick();

        assertThat(a.current()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(2));
        assertThatThrownBy(() -> a.fence(first)).isInstanceOf(LeadershipLostException.class);
        assertThat(changes(metersA, "standby")).isEqualTo(1);
        assertThat(changes(metersA, "leader")).isEqualTo(2);
    }

    @Test
    void aGracefulStopReleasesTheLeaseSoTheStandbyTakesItAtOnce() {
        a.tick();
        b.tick();

        a.stop();
        b.tick();

        assertThat(b.current()).hasValueSatisfying(t -> assertThat(t.epoch()).isEqualTo(2));
        assertThat(a.current()).isEmpty();
    }
}
