package io.bootswarm.seed.replicas;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.seed.replicas.*}: how the seed replicas sharing one catalog count each other.
 *
 * @param heartbeatInterval how often a seed renews its row in {@code seed_replica} and counts the live ones (2 s)
 * @param lease             a replica whose row is older than this is no longer counted (10 s: a killed replica's
 *                          share goes back to the others this long after its last heartbeat; one stopped
 *                          gracefully deletes its row at once)
 */
@ConfigurationProperties("bootswarm.seed.replicas")
public record ReplicaSettings(
        @DefaultValue("2s") Duration heartbeatInterval,
        @DefaultValue("10s") Duration lease) {

    public ReplicaSettings {
        if (!heartbeatInterval.isPositive() || lease.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("bootswarm.seed.replicas.heartbeat-interval must be positive and "
                    + "lease at least twice it, got " + heartbeatInterval + " and " + lease);
        }
    }
}
