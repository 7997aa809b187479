package io.bootswarm.common.events;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code bootswarm.kafka.*}: how a service logs in to Kafka. By default it must: SASL with
 * SCRAM-SHA-512 as {@code username} (its {@code spring.application.name} unless set), and a service
 * without a password refuses to start. The Kafka clients' {@code spring.kafka.security.protocol},
 * {@code sasl.mechanism} and {@code sasl.jaas.config} are derived from these
 * ({@link KafkaSecurityAutoConfiguration}); settings given directly win.
 *
 * @param security     {@code sasl} (the default), or {@code none} to connect without authentication
 *                     (a broker without SASL: insecure, an explicit opt-out)
 * @param username     the principal, default {@code spring.application.name}
 * @param password     its password (e.g. {@code BOOTSWARM_KAFKA_PASSWORD} from a secret)
 * @param mechanism    {@code SCRAM-SHA-512} (default), {@code SCRAM-SHA-256} or {@code PLAIN}
 * @param protocol     {@code SASL_PLAINTEXT} (default) or {@code SASL_SSL}
 * @param createTopics declare the bootswarm topics so that they are created when missing (default
 *                     true; needs CREATE and DESCRIBE on them: where ACLs are on, an admin creates them)
 */
@ConfigurationProperties("bootswarm.kafka")
public record KafkaSecurityProperties(Security security, String username, String password, String mechanism,
                                      String protocol, Boolean createTopics) {

    /** Whether the service authenticates to Kafka. */
    public enum Security { SASL, NONE }

    public KafkaSecurityProperties {
        security = security == null ? Security.SASL : security;
        mechanism = mechanism == null || mechanism.isBlank() ? "SCRAM-SHA-512" : mechanism;
        protocol = protocol == null || protocol.isBlank() ? "SASL_PLAINTEXT" : protocol;
        createTopics = createTopics == null || createTopics;
    }

    @Override
    public String toString() {
        return "KafkaSecurityProperties[" + security + ", " + username + ", " + mechanism + ", " + protocol + "]";
    }
}
