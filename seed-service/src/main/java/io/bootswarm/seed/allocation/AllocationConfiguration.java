package io.bootswarm.seed.allocation;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.time.Clock;

/** Registers {@code bootswarm.seed.allocation.*} and the clock plans are judged by. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AllocationSettings.class)
class AllocationConfiguration {

    @Bean
    Clock clock() {
        return Clock.systemUTC();
    }
}
