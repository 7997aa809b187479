package io.bootswarm.seed.imports;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.seed.imports.*}: how seed replicas sharing one catalog and storage directory tell a running
 * import from an orphaned one.
 *
 * @param renewInterval how often a seed renews the heartbeat of the imports it runs, and looks for imports whose
 *                      heartbeat lapsed (5 s)
 * @param leaseDuration an import whose heartbeat is older than this belongs to a seed that is gone: any replica
 *                      marks it FAILED and deletes its files (30 s; at least twice {@code renew-interval})
 */
@ConfigurationProperties("bootswarm.seed.imports")
public record ImportSettings(
        @DefaultValue("5s") Duration renewInterval,
        @DefaultValue("30s") Duration leaseDuration) {

    public ImportSettings {
        if (!renewInterval.isPositive() || leaseDuration.compareTo(renewInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("bootswarm.seed.imports.renew-interval must be positive and "
                    + "lease-duration at least twice it, got " + renewInterval + " and " + leaseDuration);
        }
    }
}
