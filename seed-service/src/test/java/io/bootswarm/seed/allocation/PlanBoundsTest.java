package io.bootswarm.seed.allocation;

import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.seed.allocation.PlanBounds.Reason;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Each bound of a consumed plan, at its edge, against a fixed "now". */
class PlanBoundsTest {

    private static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    private final PlanBounds bounds = new PlanBounds(settings(4), 8_000_000);

    private static AllocationSettings settings(int maxGroups) {
        return new AllocationSettings(true, DataSize.ofKilobytes(256), Duration.ofSeconds(15), Duration.ofSeconds(1),
                Duration.ofSeconds(30), Duration.ofMinutes(5), maxGroups, 1.1);
    }

    private static AllocationPlan plan(Instant at, Instant validUntil, long seedUpload, double... rates) {
        List<AllocationPlan.Rate> r = new ArrayList<>();
        for (int i = 0; i < rates.length; i++) {
            r.add(AllocationPlan.Rate.ofGroup(String.valueOf((char) ('a' + i)).repeat(32), rates[i]));
        }
        return new AllocationPlan(UUID.randomUUID(), at, UUID.randomUUID(), "CROSS_OPT", seedUpload, validUntil, 1, 1,
                0, 0, r);
    }

    private Optional<Reason> reason(AllocationPlan plan) {
        return bounds.check(plan, NOW).map(PlanBounds.Violation::reason);
    }

    @Test
    void anAllocatorsOrdinaryPlanPasses() {
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, 3_000_000, 1_000_000))).isEmpty();
        assertThat(reason(new AllocationPlan(UUID.randomUUID(), NOW, UUID.randomUUID(), "ISO", 4_000_000,
                NOW.plusSeconds(15), 0, 0, 0, 0, List.of(AllocationPlan.Rate.ofImage(UUID.randomUUID(), 0))))).isEmpty();
    }

    @Test
    void aPlanMadeMoreThanTheClockSkewAheadIsDropped() {
        assertThat(reason(plan(NOW.plusSeconds(30), NOW.plusSeconds(45), 4_000_000, 1))).isEmpty();
        assertThat(reason(plan(NOW.plusSeconds(31), NOW.plusSeconds(45), 4_000_000, 1)))
                .contains(Reason.CREATED_IN_FUTURE);
        assertThat(reason(plan(Instant.parse("9999-01-01T00:00:00Z"), Instant.parse("9999-12-31T00:00:00Z"),
                4_000_000, 1))).contains(Reason.CREATED_IN_FUTURE);
    }

    @Test
    void aPlanValidLongerThanTheMaximumOrAlreadyExpiredIsDropped() {
        assertThat(reason(plan(NOW, NOW.plus(Duration.ofMinutes(5)), 4_000_000, 1))).isEmpty();
        assertThat(reason(plan(NOW, NOW.plus(Duration.ofMinutes(5)).plusMillis(1), 4_000_000, 1)))
                .contains(Reason.VALID_TOO_LONG);
        assertThat(reason(plan(NOW, Instant.parse("9999-12-31T00:00:00Z"), 4_000_000, 1)))
                .contains(Reason.VALID_TOO_LONG);
        assertThat(reason(plan(NOW.minusSeconds(20), NOW, 4_000_000, 1))).contains(Reason.EXPIRED);
        assertThat(reason(plan(NOW.minusSeconds(20), NOW.plusMillis(1), 4_000_000, 1))).isEmpty();
    }

    @Test
    void aPlanWithMoreSwarmsThanTheBoundIsDropped() {
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, 1, 1, 1, 1))).isEmpty();
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, 1, 1, 1, 1, 1))).contains(Reason.TOO_MANY_GROUPS);
    }

    @Test
    void negativeNotANumberOrInfiniteRatesAndANonPositiveUploadAreDropped() {
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, 1, -1))).contains(Reason.BAD_RATE);
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, Double.NaN, 1))).contains(Reason.BAD_RATE);
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, Double.POSITIVE_INFINITY)))
                .contains(Reason.BAD_RATE);
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 0, 0))).contains(Reason.BAD_RATE);
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), -5, 0))).contains(Reason.BAD_RATE);
    }

    @Test
    void ratesAboveTheFactorTimesTheUploadAreDropped() {
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, 2_200_000, 2_200_000))).isEmpty();
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, 2_200_000, 2_200_001)))
                .contains(Reason.OVER_UPLOAD);
        assertThat(reason(plan(NOW, NOW.plusSeconds(15), 4_000_000, Double.MAX_VALUE, Double.MAX_VALUE)))
                .contains(Reason.OVER_UPLOAD);
        PlanBounds unlimitedSeed = new PlanBounds(settings(4), 0);
        assertThat(unlimitedSeed.check(plan(NOW, NOW.plusSeconds(15), 1_000, 1_200), NOW))
                .map(PlanBounds.Violation::reason).contains(Reason.OVER_UPLOAD);
    }

    @Test
    void aPlanMissingItsIdOrTimesIsMalformed() {
        assertThat(reason(new AllocationPlan(UUID.randomUUID(), null, UUID.randomUUID(), "ISO", 1, NOW.plusSeconds(1),
                0, 0, 0, 0, List.of()))).contains(Reason.MALFORMED);
        assertThat(reason(new AllocationPlan(UUID.randomUUID(), NOW, null, "ISO", 1, NOW.plusSeconds(1), 0, 0, 0, 0,
                List.of()))).contains(Reason.MALFORMED);
        assertThat(reason(new AllocationPlan(UUID.randomUUID(), NOW, UUID.randomUUID(), "ISO", 1, null, 0, 0, 0, 0,
                List.of()))).contains(Reason.MALFORMED);
    }

    @Test
    void reasonsAreTaggedInKebabCase() {
        assertThat(Reason.CREATED_IN_FUTURE.tag()).isEqualTo("created-in-future");
        assertThat(Reason.OVER_UPLOAD.tag()).isEqualTo("over-upload");
    }
}
