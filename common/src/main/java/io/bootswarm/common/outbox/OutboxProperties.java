package io.bootswarm.common.outbox;

import org.springframework.boot.context.properties.ConfigurationProperties;

import java.time.Duration;

/**
 * {@code bootswarm.outbox.*}: the outbox relay of a service that publishes events.
 *
 * @param enabled      turn the outbox on (the service's schema must have the outbox table)
 * @param pollInterval how often to look for rows when no commit woke the relay
 * @param batchSize    rows sent per Kafka round
 * @param sendTimeout  how long to wait for Kafka to acknowledge a batch
 * @param retention    how long published rows are kept (for inspection) before deletion
 */
@ConfigurationProperties("bootswarm.outbox")
public record OutboxProperties(boolean enabled, Duration pollInterval, int batchSize, Duration sendTimeout,
                               Duration retention) {
    public OutboxProperties {
        pollInterval = pollInterval == null ? Duration.ofMillis(500) : pollInterval;
        batchSize = batchSize <= 0 ? 200 : batchSize;
        sendTimeout = sendTimeout == null ? Duration.ofSeconds(30) : sendTimeout;
        retention = retention == null ? Duration.ofDays(1) : retention;
    }
}
