package io.bootswarm.seed.allocation;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * {@code bootswarm.seed.allocation.*}: how the seed splits its upload over the swarms.
 *
 * @param enabled        false: no per-swarm limits, only the seed's overall {@code upload-rate}
 * @param minRate        the least a swarm of the split gets, also one the plan gives 0, so that a peer
 *                       asking for such a piece is slowed, not stalled (256 KB per second: a piece a
 *                       second)
 * @param reportLifetime a host's swarm report counts toward the fallback split this long (15 s: three
 *                       of the agents' report intervals)
 * @param checkInterval  how often the seed checks whether its plan went stale and refreshes the
 *                       fallback split from the reports (1 s)
 */
@ConfigurationProperties("bootswarm.seed.allocation")
public record AllocationSettings(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("256KB") DataSize minRate,
        @DefaultValue("15s") Duration reportLifetime,
        @DefaultValue("1s") Duration checkInterval) {

    public AllocationSettings {
        if (minRate.toBytes() <= 0) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.min-rate must be positive, got " + minRate);
        }
        if (reportLifetime.isNegative() || reportLifetime.isZero() || checkInterval.isNegative()
                || checkInterval.isZero()) {
            throw new IllegalArgumentException("bootswarm.seed.allocation.report-lifetime and check-interval must be "
                    + "positive");
        }
    }
}
