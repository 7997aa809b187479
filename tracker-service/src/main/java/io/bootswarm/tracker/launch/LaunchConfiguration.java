package io.bootswarm.tracker.launch;

import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Configuration;

/** Binds {@link LaunchProperties}. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(LaunchProperties.class)
class LaunchConfiguration {
}
