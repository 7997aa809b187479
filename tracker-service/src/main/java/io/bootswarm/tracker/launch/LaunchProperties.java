package io.bootswarm.tracker.launch;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.tracker.launch.*}: the lifecycle of launches.
 *
 * @param deadline              a host of a launch still PENDING or PREPARING this long after the launch was
 *                              created is marked FAILED with a detail starting {@code deadline} (10 min: an
 *                              agent's disk is READY as soon as it has the manifest, long before the image is)
 * @param deadlineSweepInterval how often overdue hosts are looked for (30 s)
 */
@ConfigurationProperties("bootswarm.tracker.launch")
record LaunchProperties(@DefaultValue("10m") Duration deadline, @DefaultValue("30s") Duration deadlineSweepInterval) {

    LaunchProperties {
        if (deadline == null || deadline.isNegative() || deadline.isZero()) {
            throw new IllegalArgumentException("bootswarm.tracker.launch.deadline must be positive, got " + deadline);
        }
        if (deadlineSweepInterval == null || deadlineSweepInterval.isNegative() || deadlineSweepInterval.isZero()) {
            throw new IllegalArgumentException("bootswarm.tracker.launch.deadline-sweep-interval must be positive, got "
                    + deadlineSweepInterval);
        }
    }

    /** All defaults. */
    static LaunchProperties defaults() {
        return new LaunchProperties(Duration.ofMinutes(10), Duration.ofSeconds(30));
    }
}
