package io.bootswarm.tracker;

import io.bootswarm.tracker.launch.DatabaseOutage;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.util.backoff.ExponentialBackOff;

import java.time.Clock;

/** The tracker's shared beans: its properties, the clock, scheduling, the Kafka error policy and the OpenAPI info. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@EnableConfigurationProperties({TrackerProperties.class, io.bootswarm.tracker.hosts.HostIdentityProperties.class})
class TrackerConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * A listener that throws retries the record with backoff and then logs and skips it; the listener
     * container keeps running. While the database is away the record is retried until it is back
     * ({@link DatabaseOutage}), so that no status report is lost to an outage.
     */
    @Bean
    CommonErrorHandler kafkaErrorHandler(TrackerProperties properties) {
        ExponentialBackOff backOff = new ExponentialBackOff(200, 2.0);
        backOff.setMaxAttempts(6);
        backOff.setMaxInterval(5_000);
        DefaultErrorHandler handler = new DefaultErrorHandler(backOff);
        handler.setBackOffFunction((record, e) -> DatabaseOutage.causes(e)
                ? DatabaseOutage.untilBack(properties.status().outageRetryMaxInterval()) : null);
        return handler;
    }

    @Bean
    OpenAPI trackerOpenApi() {
        return new OpenAPI().info(new Info()
                .title("bootswarm tracker-service")
                .version("v1")
                .description("""
                        Swarm membership and fleet launches for bootswarm.

                        * **Seeds** register and heartbeat here; they are included in every swarm's peer list.
                        * **Hosts** (node agents) register and heartbeat; a host that stops heartbeating is DOWN.
                        * **Announce**: agents (JSON) and stock BitTorrent clients (`GET /announce`, bencoded,
                          BEP 3 / BEP 23) learn the peers of a swarm.
                        * **Launches**: an orchestrator asks for an image on a set of hosts; the tracker sends
                          one start command per host over Kafka and shows each host's progress and NBD URIs.

                        Errors are RFC 9457 problem details."""));
    }
}
