package io.bootswarm.profile;

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

/** profile-service's shared beans: its properties, the clock, scheduling, the Kafka error policy and the OpenAPI info. */
@Configuration(proxyBeanMethods = false)
@EnableScheduling
@EnableConfigurationProperties(ProfileProperties.class)
class ProfileConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }

    /**
     * A listener that throws (the database is away, say) retries the record with backoff for about a
     * minute, then logs and skips it; the listener container keeps running. A skipped chunk leaves its
     * trace incomplete, and housekeeping purges it.
     */
    @Bean
    CommonErrorHandler kafkaErrorHandler() {
        ExponentialBackOff backOff = new ExponentialBackOff(200, 2.0);
        backOff.setMaxInterval(10_000);
        backOff.setMaxElapsedTime(60_000);
        return new DefaultErrorHandler(backOff);
    }

    @Bean
    OpenAPI profileOpenApi() {
        return new OpenAPI().info(new Info()
                .title("bootswarm profile-service")
                .version("v1")
                .description("""
                        The access-profile registry of bootswarm (VMTorrent §2.2.3).

                        A **profile** belongs to an (image, workload) pair: for every piece read in at least
                        one run, its mean first-access time over the runs that read it, its index, and the
                        share of runs that read it, ordered by time. Agents prefetch in this order.

                        * **Runs** come from agents (access traces over Kafka when a launch ends) or from
                          admins (`POST …/traces`, a CSV trace); each updates the means and shares exactly.
                        * **Agents** fetch `GET …/compact`; a 404 means there is no profile yet, so the launch
                          runs in demand mode and its trace becomes the first run.
                        * **Admins** list, inspect (rows and runs) and delete profiles.

                        Errors are RFC 9457 problem details (`application/problem+json`)."""));
    }
}
