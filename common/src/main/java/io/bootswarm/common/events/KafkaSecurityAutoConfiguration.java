package io.bootswarm.common.events;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.core.env.Environment;
import org.springframework.kafka.core.KafkaAdmin;

/**
 * Binds {@link KafkaSecurityProperties} (applied to the clients by
 * {@link KafkaSecurityEnvironmentPostProcessor}) and says at start who the service is on Kafka.
 */
@AutoConfiguration
@ConditionalOnClass(KafkaAdmin.class)
@EnableConfigurationProperties(KafkaSecurityProperties.class)
public class KafkaSecurityAutoConfiguration {

    private static final Logger log = LoggerFactory.getLogger(KafkaSecurityAutoConfiguration.class);

    KafkaSecurityAutoConfiguration(KafkaSecurityProperties p, Environment environment) {
        if (p.security() == KafkaSecurityProperties.Security.NONE) {
            log.warn("kafka: no authentication (bootswarm.kafka.security=none)");
        } else {
            log.info("kafka: {} {} as {}", environment.getProperty("spring.kafka.security.protocol"),
                    environment.getProperty("spring.kafka.properties.sasl.mechanism"),
                    p.username() != null ? p.username() : environment.getProperty("spring.application.name"));
        }
    }
}
