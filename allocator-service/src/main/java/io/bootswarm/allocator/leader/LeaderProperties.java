package io.bootswarm.allocator.leader;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;

/**
 * {@code bootswarm.allocator.leader.*}: how allocator-service replicas choose the one that plans.
 *
 * @param enabled       elect a leader through the {@code leader_lease} table (true); false: this instance
 *                      plans alone, as before replicas existed
 * @param instanceId    this instance's name in the lease and in its consumer group; empty: the host name
 *                      and the process id (a pod's name and 1 in Kubernetes), so it is distinct per replica
 * @param leaseDuration how long a lease lasts unless renewed (5 s, one default period): a killed leader's
 *                      lease is free this long after its last renewal
 * @param renewInterval how often the leader renews and a standby tries to take the lease (1 s); at most
 *                      half the lease, so that one failed renewal does not lose it
 */
@ConfigurationProperties("bootswarm.allocator.leader")
public record LeaderProperties(
        @DefaultValue("true") boolean enabled,
        @DefaultValue("") String instanceId,
        @DefaultValue("5s") Duration leaseDuration,
        @DefaultValue("1s") Duration renewInterval) {

    public LeaderProperties {
        if (leaseDuration == null || !leaseDuration.isPositive() || renewInterval == null
                || !renewInterval.isPositive() || renewInterval.multipliedBy(2).compareTo(leaseDuration) > 0) {
            throw new IllegalArgumentException("bootswarm.allocator.leader.renew-interval (" + renewInterval
                    + ") must be positive and at most half of lease-duration (" + leaseDuration + ")");
        }
        instanceId = instanceId == null || instanceId.isBlank() ? defaultInstance() : instanceId.strip();
    }

    /** This instance's name (never blank). */
    public String instance() {
        return instanceId;
    }

    private static String defaultInstance() {
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "allocator";
            }
        }
        return host + "-" + ProcessHandle.current().pid();
    }
}
