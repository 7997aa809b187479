package io.bootswarm.allocator;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.util.backoff.FixedBackOff;

import java.time.Clock;

/** allocator-service's shared beans: its properties, the clock, the Kafka error policy and the OpenAPI info. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AllocatorProperties.class)
class AllocatorConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * Taking a report in only touches memory; should it throw anyway, the record is retried twice
     * and then logged and skipped: the host's next report (every few seconds) supersedes it.
     */
    @Bean
    CommonErrorHandler kafkaErrorHandler() {
        return new DefaultErrorHandler(new FixedBackOff(100, 2));
    }

    @Bean
    OpenAPI allocatorOpenApi() {
        return new OpenAPI().info(new Info()
                .title("bootswarm allocator-service")
                .version("v1")
                .description("""
                        Splits the seed's upload u_s over the swarms so that the slowest finishes first
                        (Wu et al., "On P2P Mechanisms for VM Image Distribution in Cloud Data Centers", §IV):
                        minimise M = max_i T_r^i, T_r^i = R^i / (P^i + u_s^i), Σ_i u_s^i = u_s.

                        * **Swarms** are the piece groups (pieces contained by exactly the same images) the agents
                          report; R^i is the bytes of the group its peers still miss, P^i the upload its peers give it
                          (an agent's upload capacity times the share it spends on the group's pieces, whichever
                          image's peer asked). ISO plans, and plans made from reports without groups, have one swarm
                          per image.
                        * **Plans** are made every period with the current **strategy** (ISO, Cross-Equ, Cross-Prop,
                          Cross-Opt, Exact), warm-started from the last, published on Kafka for seed-service and kept
                          in the history. `GET /api/v1/plans/current` says why: per swarm R, P, the seed's rate and
                          the predicted remaining time.
                        * **What-if**: `POST /api/v1/what-if` solves a posted problem without applying it.

                        Errors are RFC 9457 problem details (`application/problem+json`)."""));
    }
}
