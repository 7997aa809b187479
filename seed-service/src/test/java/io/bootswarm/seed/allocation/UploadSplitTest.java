package io.bootswarm.seed.allocation;

import io.bootswarm.testing.ManualClock;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.seed.SeedProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.springframework.util.unit.DataSize;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Which plan the split follows, how it is scaled, when it falls back and to what. */
class UploadSplitTest {

    private static final String G1 = "11111111111111111111111111111111";
    private static final String G2 = "22222222222222222222222222222222";

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    private UploadSplit split(long seedUpload) {
        return split(seedUpload, () -> 1);
    }

    private UploadSplit split(long seedUpload, java.util.function.IntSupplier seeds) {
        SeedProperties seed = new SeedProperties(Path.of("/tmp/unused"), DataSize.ofGigabytes(1),
                DataSize.ofKilobytes(256), DataSize.ofBytes(0), 0, "", 10, DataSize.ofBytes(seedUpload), 8,
                "127.0.0.1", "", "seed", "", Duration.ofSeconds(5), "");
        return new UploadSplit(new AllocationSettings(true, DataSize.ofKilobytes(64), Duration.ofSeconds(15),
                Duration.ofSeconds(1), Duration.ofSeconds(30), Duration.ofMinutes(5), 200_000, 1.1), seed, null, meters,
                clock, seeds);
    }

    private AllocationPlan plan(Instant at, long seedUpload, Duration validity, double r1, double r2) {
        return new AllocationPlan(UUID.randomUUID(), at, UUID.randomUUID(), "CROSS_OPT", seedUpload, at.plus(validity),
                1, 1, 0, 0, List.of(AllocationPlan.Rate.ofGroup(G1, r1), AllocationPlan.Rate.ofGroup(G2, r2)));
    }

    @Test
    void appliesTheNewestValidPlanOnceAndScalesItToTheSeedsUpload() {
        UploadSplit s = split(8_000_000);
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.UNSHAPED);
        AllocationPlan p = plan(clock.instant(), 4_000_000, Duration.ofSeconds(15), 3_000_000, 1_000_000);
        assertThat(s.accept(p)).isEqualTo(UploadSplit.Outcome.APPLIED);
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.PLAN);
        assertThat(s.current().groupRates().get(G1)).isCloseTo(6_000_000, within(1.0));
        assertThat(s.current().groupRates().get(G2)).isCloseTo(2_000_000, within(1.0));
        assertThat(s.current().groupLimiters().get(G1).bytesPerSecond()).isEqualTo(6_000_000);
        assertThat(s.current().seedUpload()).isEqualTo(8_000_000);

        assertThat(s.accept(p)).isEqualTo(UploadSplit.Outcome.DUPLICATE);
        AllocationPlan older = plan(clock.instant().minusSeconds(1), 4_000_000, Duration.ofMinutes(1), 1, 1);
        assertThat(s.accept(older)).isEqualTo(UploadSplit.Outcome.OUTDATED);
        AllocationPlan stale = plan(clock.instant().minusSeconds(20).plusSeconds(21), 4_000_000,
                Duration.ofSeconds(-2), 1, 1);
        assertThat(s.accept(stale)).isEqualTo(UploadSplit.Outcome.DROPPED);
        assertThat(s.current().planId()).isEqualTo(p.planId());
        assertThat(meters.get("bootswarm.seed.allocation.plans").tag("outcome", "applied").counter().count())
                .isEqualTo(1);
    }

    @Test
    void aSwarmThePlanGivesNothingGetsTheMinRateAndOneItDoesNotNameHasNoLimiterOfItsOwn() {
        UploadSplit s = split(8_000_000);
        UUID named = UUID.randomUUID();
        UUID other = UUID.randomUUID();
        s.accept(new AllocationPlan(UUID.randomUUID(), clock.instant(), UUID.randomUUID(), "ISO", 8_000_000,
                clock.instant().plusSeconds(15), 0, 0, 0, 0, List.of(AllocationPlan.Rate.ofImage(named, 0))));
        // no piece index here: pieces fall back to their image's limiter
        assertThat(s.forImage(named).limiterFor(0).bytesPerSecond()).isEqualTo(64 * 1024);
        assertThat(s.forImage(other).limiterFor(0).isLimited()).isFalse();
    }

    @Test
    void aPlanWhoseRateBarelyChangesKeepsItsLimiter() {
        UploadSplit s = split(8_000_000);
        s.accept(plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 6_000_000, 2_000_000));
        var l1 = s.current().groupLimiters().get(G1);
        var l2 = s.current().groupLimiters().get(G2);
        clock.advance(Duration.ofSeconds(5));
        s.accept(plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 6_050_000, 1_950_000));
        assertThat(s.current().groupLimiters().get(G1)).isSameAs(l1);
        assertThat(s.current().groupLimiters().get(G2)).isNotSameAs(l2);
    }

    @Test
    void afterThePlanExpiresTheSplitFollowsTheReportedMissingBytes() {
        UploadSplit s = split(8_000_000);
        s.accept(plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 1_000_000, 7_000_000));
        s.accept(report("h1", 300, 100));
        s.accept(report("h2", 300, 0));
        clock.advance(Duration.ofSeconds(10));
        s.check();
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.PLAN);
        clock.advance(Duration.ofSeconds(6));
        s.accept(report("h1", 300, 100));
        s.accept(report("h2", 300, 0));
        s.check();
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.FALLBACK);
        assertThat(s.current().reason()).contains("expired");
        // R(G1) = 600, R(G2) = 100 of 700
        assertThat(s.current().groupRates().get(G1)).isCloseTo(8_000_000 * 6 / 7.0, within(1.0));
        assertThat(s.current().groupRates().get(G2)).isCloseTo(8_000_000 / 7.0, within(1.0));

        // reports stop: once they are 15 s old nothing is known, only the overall limit shapes
        clock.advance(Duration.ofSeconds(16));
        s.check();
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.UNSHAPED);
    }

    @Test
    void eachOfSeveralSeedsWithUnlimitedUploadAppliesItsShareOfThePlanAndTheShareFollowsTheirNumber() {
        java.util.concurrent.atomic.AtomicInteger seeds = new java.util.concurrent.atomic.AtomicInteger(2);
        UploadSplit s = split(0, seeds::get);
        s.accept(plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 6_000_000, 2_000_000));
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.PLAN);
        assertThat(s.current().seeds()).isEqualTo(2);
        assertThat(s.current().share()).isEqualTo(0.5);
        assertThat(s.current().groupRates().get(G1)).isCloseTo(3_000_000, within(1.0));
        assertThat(s.current().groupLimiters().get(G2).bytesPerSecond()).isEqualTo(1_000_000);
        assertThat(s.current().seedUpload()).isEqualTo(4_000_000);

        seeds.set(1);   // the other seed is gone: this one takes the whole plan at its next check
        clock.advance(Duration.ofSeconds(1));
        s.check();
        assertThat(s.current().share()).isEqualTo(1.0);
        assertThat(s.current().groupRates().get(G1)).isCloseTo(6_000_000, within(1.0));

        seeds.set(4);   // once the plan expires, the fallback splits this seed's share of the plan's upload
        s.accept(report("h1", 100, 300));
        clock.advance(Duration.ofSeconds(15));
        s.check();
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.FALLBACK);
        assertThat(s.current().seedUpload()).isEqualTo(2_000_000);
        assertThat(s.current().groupRates().get(G2)).isCloseTo(1_500_000, within(1.0));
    }

    @Test
    void aSeedWithItsOwnUploadRateScalesThePlanToItWhateverTheNumberOfSeeds() {
        UploadSplit s = split(2_000_000, () -> 4);
        s.accept(plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 6_000_000, 2_000_000));
        assertThat(s.current().share()).isEqualTo(0.25);
        assertThat(s.current().groupRates().get(G1)).isCloseTo(1_500_000, within(1.0));
        assertThat(s.current().groupRates().get(G2)).isCloseTo(500_000, within(1.0));
    }

    @Test
    void aSeedWithUnlimitedUploadFallsBackToTheLastPlansUpload() {
        UploadSplit s = split(0);
        s.accept(plan(clock.instant(), 5_000_000, Duration.ofSeconds(1), 2_500_000, 2_500_000));
        assertThat(s.current().groupRates().get(G1)).isCloseTo(2_500_000, within(1.0));
        s.accept(report("h1", 100, 400));
        clock.advance(Duration.ofSeconds(2));
        s.check();
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.FALLBACK);
        assertThat(s.current().groupRates().get(G2)).isCloseTo(4_000_000, within(1.0));
    }

    @Test
    void aForgedFarFutureOrLongLivedPlanIsDroppedAndTheGenuinePlanAfterItApplies() {
        UploadSplit s = split(8_000_000);
        Instant year9999 = Instant.parse("9999-01-01T00:00:00Z");
        AllocationPlan forged = new AllocationPlan(UUID.randomUUID(), year9999, UUID.randomUUID(), "CROSS_OPT",
                8_000_000, year9999.plusSeconds(60), 1, 1, 0, 0, List.of(AllocationPlan.Rate.ofGroup(G1, 8_000_000)));
        assertThat(s.accept(forged)).isEqualTo(UploadSplit.Outcome.DROPPED);
        AllocationPlan longLived = plan(clock.instant(), 8_000_000, Duration.ofDays(365), 8_000_000, 0);
        assertThat(s.accept(longLived)).isEqualTo(UploadSplit.Outcome.DROPPED);
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.UNSHAPED);

        clock.advance(Duration.ofSeconds(1));
        AllocationPlan genuine = plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 2_000_000, 6_000_000);
        assertThat(s.accept(genuine)).isEqualTo(UploadSplit.Outcome.APPLIED);
        assertThat(s.current().planId()).isEqualTo(genuine.planId());
        assertThat(dropped("created-in-future")).isEqualTo(1);
        assertThat(dropped("valid-too-long")).isEqualTo(1);
        assertThat(meters.get("bootswarm.seed.allocation.plans").tag("outcome", "dropped").counter().count())
                .isEqualTo(2);
    }

    @Test
    void aPlanDatedAheadWithinTheSkewCountsAsMadeWhenReceivedSoLaterPlansStillSupersedeIt() {
        UploadSplit s = split(8_000_000);
        AllocationPlan ahead = plan(clock.instant().plusSeconds(29), 8_000_000, Duration.ofSeconds(60), 8_000_000, 0);
        assertThat(s.accept(ahead)).isEqualTo(UploadSplit.Outcome.APPLIED);
        clock.advance(Duration.ofSeconds(5));
        AllocationPlan next = plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), 0, 8_000_000);
        assertThat(s.accept(next)).isEqualTo(UploadSplit.Outcome.APPLIED);
        assertThat(s.current().planId()).isEqualTo(next.planId());

        // redelivered after a rebalance: not applied again, though dated after the plan in force
        assertThat(s.accept(ahead)).isEqualTo(UploadSplit.Outcome.DUPLICATE);
        assertThat(s.accept(plan(clock.instant().minusSeconds(1), 8_000_000, Duration.ofSeconds(15), 1, 1)))
                .isEqualTo(UploadSplit.Outcome.OUTDATED);
        assertThat(s.current().planId()).isEqualTo(next.planId());
    }

    @Test
    void anExpiredPlanIsDroppedAndNotRememberedForTheFallback() {
        UploadSplit s = split(0);
        assertThat(s.accept(plan(clock.instant().minusSeconds(30), 5_000_000, Duration.ofSeconds(15), 1, 1)))
                .isEqualTo(UploadSplit.Outcome.DROPPED);
        s.accept(report("h1", 100, 400));
        s.check();
        assertThat(s.current().source()).isEqualTo(UploadSplit.Source.UNSHAPED);
        assertThat(s.current().reason()).contains("no plan received yet");
        assertThat(dropped("expired")).isEqualTo(1);
    }

    @Test
    void dropsAreLoggedOncePerReasonAMinuteWithHowManyWereNotLogged() {
        Logger logger = (Logger) LoggerFactory.getLogger(UploadSplit.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        try {
            UploadSplit s = split(8_000_000);
            for (int i = 0; i < 50; i++) {
                s.accept(plan(clock.instant().plus(Duration.ofDays(1)), 8_000_000, Duration.ofSeconds(15), 1, 1));
            }
            s.accept(plan(clock.instant(), 8_000_000, Duration.ofSeconds(15), Double.NaN, 1));
            s.undecodable("bootswarm.allocation-plans.v1-0@7");
            assertThat(warnings(logs)).hasSize(3);
            assertThat(warnings(logs).get(0)).contains("created-in-future");
            assertThat(warnings(logs).get(1)).contains("bad-rate");
            assertThat(warnings(logs).get(2)).contains("undecodable", "v1-0@7");

            clock.advance(Duration.ofSeconds(59));
            s.accept(plan(clock.instant().plus(Duration.ofDays(1)), 8_000_000, Duration.ofSeconds(15), 1, 1));
            assertThat(warnings(logs)).hasSize(3);
            clock.advance(Duration.ofSeconds(2));
            s.accept(plan(clock.instant().plus(Duration.ofDays(1)), 8_000_000, Duration.ofSeconds(15), 1, 1));
            assertThat(warnings(logs)).hasSize(4);
            assertThat(warnings(logs).get(3)).contains("created-in-future", "and 50 more");
            assertThat(dropped("created-in-future")).isEqualTo(52);
            assertThat(dropped("undecodable")).isEqualTo(1);
        } finally {
            logger.detachAppender(logs);
        }
    }

    private static List<String> warnings(ListAppender<ILoggingEvent> logs) {
        return logs.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
                .toList();
    }

    private double dropped(String reason) {
        return meters.get(UploadSplit.DROPPED_METER).tag("reason", reason).counter().count();
    }

    private SwarmReport report(String host, long missing1, long missing2) {
        UUID image = UUID.nameUUIDFromBytes(host.getBytes());
        return new SwarmReport(UUID.randomUUID(), clock.instant(), host, 1_000_000, List.of(
                new SwarmReport.Entry("a".repeat(40), image, null, missing1 + missing2, 1),
                new SwarmReport.Entry("a".repeat(40), image, G1, missing1, 0.5),
                new SwarmReport.Entry("a".repeat(40), image, G2, missing2, 0.5)));
    }

}
