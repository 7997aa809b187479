package io.bootswarm.seed.allocation;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * {@code bootswarm.seed.allocation.*}: how the seed splits its upload over the swarms.
 *
 * @param enabled         false: no per-swarm limits, only the seed's overall {@code upload-rate}
 * @param minRate         the least a swarm of the split gets, also one the plan gives 0, so that a peer
 *                        asking for such a piece is slowed, not stalled (256 KB per second: a piece a
 *                        second)
 * @param reportLifetime  a host's swarm report counts toward the fallback split this long (15 s: three
 *                        of the agents' report intervals)
 * @param checkInterval   how often the seed checks whether its plan went stale and refreshes the
 *                        fallback split from the reports (1 s)
 * @param maxClockSkew    how far in the future a plan's creation time ({@code at}) may lie, for
 *                        allocator-service's clock running ahead of the seed's; a plan dated later is
 *                        dropped (30 s)
 * @param maxPlanValidity how far after now a plan's {@code validUntil} may lie; a plan valid longer is
 *                        dropped (5 min; allocator-service's plans are valid for 3 periods, 15 s)
 * @param maxPlanGroups   most swarms (piece groups or images) a plan may name; a bigger one is dropped
 *                        (200,000)
 * @param maxRateFactor   a plan whose rates, as applied, sum to more than this times the seed's upload
 *                        (its {@code upload-rate}, or the plan's own {@code seedUpload} while that is
 *                        unlimited) is dropped (1.1: room for the solver's rounding)
 */
@ConfigurationProperties("bootswarm.seed.allocation")
public record AllocationSettings(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("256KB") DataSize minRate,
        @DefaultValue("15s") Duration reportLifetime,
        @DefaultValue("1s") Duration checkInterval,
        @DefaultValue("30s") Duration maxClockSkew,
        @DefaultValue("5m") Duration maxPlanValidity,
        @DefaultValue("200000") int maxPlanGroups,
        @DefaultValue("1.1") double maxRateFactor) {

    public AllocationSettings {
        if (minRate.toBytes() <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.min-rate must be positive, got " + minRate);
        }
        if (reportLifetime.isNegative() || reportLifetime.isZero() || checkInterval.isNegative()
                || checkInterval.isZero()) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.report-lifetime and check-interval must be "
                    + "positive");
        }
        if (maxClockSkew.isNegative() || !maxPlanValidity.isPositive()) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.max-clock-skew must not be negative and "
                    + "max-plan-validity must be positive");
        }
        if (maxPlanGroups <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.max-plan-groups must be positive, got "
                    + maxPlanGroups);
        }
        if (!(maxRateFactor >= 1) || Double.isInfinite(maxRateFactor)) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.max-rate-factor must be a number of at "
                    + "least 1, got " + maxRateFactor);
        }
    }
}
