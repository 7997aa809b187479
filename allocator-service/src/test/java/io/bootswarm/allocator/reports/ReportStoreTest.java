package io.bootswarm.allocator.reports;

import io.bootswarm.allocation.Strategy;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.allocator.TestProperties;
import io.bootswarm.common.events.SwarmReport;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static io.bootswarm.allocator.reports.ReportStore.Outcome.ACCEPTED;
import static io.bootswarm.allocator.reports.ReportStore.Outcome.EXPIRED;
import static io.bootswarm.allocator.reports.ReportStore.Outcome.INVALID;
import static io.bootswarm.allocator.reports.ReportStore.Outcome.SUPERSEDED;
import static org.assertj.core.api.Assertions.assertThat;

/** Reports live 3 s (1 s interval × 3). */
class ReportStoreTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");

    private final ManualClock clock = new ManualClock(T0);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final ReportStore store = new ReportStore(TestProperties.of(Strategy.CROSS_OPT), clock, meters);

    private static SwarmReport report(String host, Instant at, long capacity) {
        return new SwarmReport(UUID.randomUUID(), at, host, capacity, List.of(
                new SwarmReport.Entry("ab".repeat(20), UUID.randomUUID(), null, 10, 1.0)));
    }

    private double count(String outcome) {
        return meters.get("bootswarm.allocator.reports").tag("outcome", outcome).counter().count();
    }

    @Test
    void theNewestReportPerHostWinsWhateverTheOrderOfArrival() {
        SwarmReport older = report("h1", T0.minusMillis(500), 1);
        SwarmReport newer = report("h1", T0, 2);

        assertThat(store.accept(newer)).isEqualTo(ACCEPTED);
        assertThat(store.accept(older)).isEqualTo(SUPERSEDED);
        assertThat(store.accept(newer)).isEqualTo(SUPERSEDED);
        assertThat(store.accept(report("h0", T0, 3))).isEqualTo(ACCEPTED);

        assertThat(store.live()).extracting(SwarmReport::host).containsExactly("h0", "h1");
        assertThat(store.live()).extracting(SwarmReport::uploadCapacity).containsExactly(3L, 2L);
        assertThat(count("accepted")).isEqualTo(2);
        assertThat(count("superseded")).isEqualTo(2);
        assertThat(meters.get("bootswarm.allocator.hosts").gauge().value()).isEqualTo(2);
    }

    @Test
    void aHostDropsOutOnceItsLastReportIsOlderThanTheLifetime() {
        store.accept(report("h1", T0, 1));
        store.accept(report("h2", T0.plusSeconds(2), 1));

        clock.advance(Duration.ofMillis(2999));
        assertThat(store.live()).extracting(SwarmReport::host).containsExactly("h1", "h2");
        clock.advance(Duration.ofMillis(1));
        assertThat(store.live()).extracting(SwarmReport::host).containsExactly("h2");
        clock.advance(Duration.ofSeconds(2));
        assertThat(store.live()).isEmpty();
    }

    @Test
    void reportsAlreadyExpiredAreNotTaken() {
        assertThat(store.accept(report("h1", T0.minusSeconds(3), 1))).isEqualTo(EXPIRED);
        assertThat(store.accept(report("h1", T0.minusSeconds(60), 1))).isEqualTo(EXPIRED);
        assertThat(store.live()).isEmpty();
        assertThat(count("expired")).isEqualTo(2);
    }

    @Test
    void invalidReportsAreCountedAndChangeNothing() {
        store.accept(report("h1", T0, 7));

        assertThat(store.accept(report(" ", T0, 1))).isEqualTo(INVALID);
        assertThat(store.accept(report(null, T0, 1))).isEqualTo(INVALID);
        assertThat(store.accept(report("h1", T0.plusMillis(1), -1))).isEqualTo(INVALID);
        assertThat(store.accept(report("h1", null, 1))).isEqualTo(INVALID);
        // dated further ahead than a lifetime: it would hide every later correct report of h1
        assertThat(store.accept(report("h1", T0.plusSeconds(4), 1))).isEqualTo(INVALID);

        assertThat(store.live()).extracting(SwarmReport::uploadCapacity).containsExactly(7L);
        assertThat(count("invalid")).isEqualTo(5);
        assertThat(store.accept(report("h1", T0.plusSeconds(2), 8))).isEqualTo(ACCEPTED);
    }
}
