package io.bootswarm.agent.preheat;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * {@code bootswarm.agent.preheat.*}: how hard a preheat may pull on the swarm.
 *
 * @param maxBytesPerSecond what all of one preheat's requests may fetch per second, also the burst it may take at
 *                          once (default 32MB; at least one piece is always allowed); 0 for no limit
 * @param concurrency       pieces one preheat has in flight at once (default 4)
 * @param attempts          passes over the pieces that failed to arrive before the preheat fails (default 3)
 * @param reportInterval    how often a running preheat's progress is reported to the tracker, when it changed
 *                          (default 1s)
 */
@ConfigurationProperties("bootswarm.agent.preheat")
public record PreheatProperties(DataSize maxBytesPerSecond, Integer concurrency, Integer attempts,
                                Duration reportInterval) {

    public PreheatProperties {
        maxBytesPerSecond = maxBytesPerSecond == null ? DataSize.ofMegabytes(32) : maxBytesPerSecond;
        concurrency = concurrency == null ? 4 : concurrency;
        attempts = attempts == null ? 3 : attempts;
        reportInterval = reportInterval == null ? Duration.ofSeconds(1) : reportInterval;
        if (maxBytesPerSecond.isNegative() || concurrency < 1 || attempts < 1 || !reportInterval.isPositive()) {
            throw new IllegalStateException("bootswarm.agent.preheat: max-bytes-per-second must be >= 0, "
                    + "concurrency and attempts >= 1, report-interval positive");
        }
    }
}
