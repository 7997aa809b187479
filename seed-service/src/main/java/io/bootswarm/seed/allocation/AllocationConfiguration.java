package io.bootswarm.seed.allocation;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** Registers {@code bootswarm.seed.allocation.*}. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(AllocationSettings.class)
class AllocationConfiguration {
}
