package io.bootswarm.allocator;

import io.bootswarm.allocation.Strategy;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * {@code bootswarm.allocator.*}: allocator-service's own settings. Every value has a default, so an
 * empty configuration runs.
 *
 * @param seedUpload          u_s, the seed's upload to split, per second (100 MB; set it to the seed's
 *                            {@code bootswarm.seed.upload-rate})
 * @param period              how often a plan is made and published (5 s)
 * @param strategy            the strategy until one is set through the API (which is kept in the
 *                            database and wins over this): ISO, CROSS_EQU, CROSS_PROP, CROSS_OPT, EXACT
 * @param reportInterval      how often agents send swarm reports (their {@code report-interval}, 5 s)
 * @param reportExpiry        a host's report counts for this many report intervals after it was sent;
 *                            then the host is forgotten until it reports again (3)
 * @param planValidity        a plan's {@code validUntil} is this long after it was made; the seed
 *                            falls back to its own split after that (3 periods: 15 s)
 * @param historyMaxAge       plans older than this are deleted from the history (1 day)
 * @param historyMaxCount     at most this many plans are kept (2000)
 * @param maxWhatIfSwarms     most swarms a what-if problem may have (200,000)
 * @param maxPageSize         largest page of the plan history one call returns (100)
 */
@ConfigurationProperties("bootswarm.allocator")
public record AllocatorProperties(
        @DefaultValue("100MB") DataSize seedUpload,
        @DefaultValue("5s") Duration period,
        @DefaultValue("CROSS_OPT") Strategy strategy,
        @DefaultValue("5s") Duration reportInterval,
        @DefaultValue("3") int reportExpiry,
        @DefaultValue("15s") Duration planValidity,
        @DefaultValue("1d") Duration historyMaxAge,
        @DefaultValue("2000") int historyMaxCount,
        @DefaultValue("200000") int maxWhatIfSwarms,
        @DefaultValue("100") int maxPageSize) {

    public AllocatorProperties {
        if (seedUpload == null || seedUpload.toBytes() <= 0) {
            throw new IllegalArgumentException("bootswarm.allocator.seed-upload must be positive, got " + seedUpload);
        }
        positive(period, "period");
        positive(reportInterval, "report-interval");
        positive(planValidity, "plan-validity");
        positive(historyMaxAge, "history-max-age");
        if (strategy == null) {
            throw new IllegalArgumentException("bootswarm.allocator.strategy must be one of ISO, CROSS_EQU, "
                    + "CROSS_PROP, CROSS_OPT, EXACT");
        }
        if (reportExpiry <= 0 || historyMaxCount <= 0 || maxWhatIfSwarms <= 0 || maxPageSize <= 0) {
            throw new IllegalArgumentException("bootswarm.allocator.report-expiry, history-max-count, "
                    + "max-what-if-swarms and max-page-size must be positive");
        }
    }

    /** How long after it was sent a report counts: {@code reportInterval × reportExpiry}. */
    public Duration reportLifetime() {
        return reportInterval.multipliedBy(reportExpiry);
    }

    private static void positive(Duration d, String name) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException("bootswarm.allocator." + name + " must be positive, got " + d);
        }
    }
}
