package io.bootswarm.tracker.replica;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/**
 * {@code bootswarm.tracker.replica.*}: how tracker replicas share one view of every swarm through the
 * {@code bootswarm.swarm-peers.v1} topic.
 *
 * @param enabled publish accepted announces and seed registrations, and apply those of the other replicas
 *                (true); off, a replica knows only what it was told itself
 * @param poll    longest wait of one poll of the topic (100 ms); records are applied as soon as they arrive
 * @param retry   wait after the topic could not be read before trying again (1 s)
 * @param maxPending most changes (distinct peers and seeds) waiting to be sent; more are dropped and counted
 *                (100,000)
 */
@ConfigurationProperties("bootswarm.tracker.replica")
public record ReplicaProperties(Boolean enabled, Duration poll, Duration retry, Integer maxPending) {

    public ReplicaProperties {
        enabled = enabled == null || enabled;
        poll = poll == null || poll.isNegative() || poll.isZero() ? Duration.ofMillis(100) : poll;
        maxPending = maxPending == null || maxPending < 1 ? 100_000 : maxPending;
        retry = retry == null || retry.isNegative() || retry.isZero() ? Duration.ofSeconds(1) : retry;
    }
}
