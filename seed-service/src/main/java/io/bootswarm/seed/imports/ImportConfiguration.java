package io.bootswarm.seed.imports;

import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.seed.SeedProperties;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/**
 * The imports' pacing ({@code bootswarm.seed.path-import-rate} on the monotonic system clock) and their leases
 * ({@link ImportSettings}).
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(ImportSettings.class)
class ImportConfiguration {

    @Bean
    ImportThrottle importThrottle(SeedProperties properties, MeterRegistry meters) {
        return new ImportThrottle(properties.pathImportRate().toBytes(), MonotonicClock.system(), meters);
    }
}
