package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

import java.util.Locale;
import java.util.Map;

/**
 * Gives every Kafka client of a service (producers, consumers, admin: all built from Spring Boot's
 * {@link KafkaProperties}) the login of {@link KafkaSecurityProperties}: SASL as the service's
 * principal unless {@code bootswarm.kafka.security=none}; a {@code spring.kafka.security.protocol}
 * or {@code spring.kafka.properties.sasl.*} given directly wins. A service that would log in without
 * a password refuses to start.
 */
@AutoConfiguration(beforeName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(KafkaProperties.class)
public class KafkaSecurityAutoConfiguration {

    static final String JAAS = "sasl.jaas.config";
    static final String MECHANISM = "sasl.mechanism";

    private static final Logger log = LoggerFactory.getLogger(KafkaSecurityAutoConfiguration.class);

    @Bean
    static BeanPostProcessor bootswarmKafkaLogin(Environment environment) {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessAfterInitialization(Object bean, String beanName) {
                if (bean instanceof KafkaProperties kafka) {
                    apply(Binder.get(environment).bindOrCreate("bootswarm.kafka", KafkaSecurityProperties.class),
                            environment.getProperty("spring.application.name"), kafka);
                }
                return bean;
            }
        };
    }

    /** Adds the login of {@code p} to {@code kafka}, where it has none of its own. */
    static void apply(KafkaSecurityProperties p, @Nullable String applicationName, KafkaProperties kafka) {
        if (p.security() == KafkaSecurityProperties.Security.NONE) {
            log.warn("kafka: no authentication (bootswarm.kafka.security=none)");
            return;
        }
        if (kafka.getSecurity().getProtocol() == null) {
            kafka.getSecurity().setProtocol(p.protocol());
        }
        Map<String, String> properties = kafka.getProperties();
        properties.putIfAbsent(MECHANISM, p.mechanism());
        if (properties.containsKey(JAAS)) {
            log.info("kafka: {} {} with the configured sasl.jaas.config", kafka.getSecurity().getProtocol(),
                    properties.get(MECHANISM));
            return;
        }
        String username = p.username() != null && !p.username().isBlank() ? p.username() : applicationName;
        if (username == null || username.isBlank() || p.password() == null || p.password().isEmpty()) {
            throw new IllegalStateException("Kafka needs credentials: set bootswarm.kafka.password"
                    + " (BOOTSWARM_KAFKA_PASSWORD) and, unless it is the application name, bootswarm.kafka.username;"
                    + " or set bootswarm.kafka.security=none to connect to a broker without authentication (insecure)");
        }
        properties.put(JAAS, loginModule(properties.get(MECHANISM)) + " required username=\"" + escape(username)
                + "\" password=\"" + escape(p.password()) + "\";");
        log.info("kafka: {} {} as {}", kafka.getSecurity().getProtocol(), properties.get(MECHANISM), username);
    }

    private static String loginModule(String mechanism) {
        String m = mechanism.toUpperCase(Locale.ROOT);
        if (m.equals("PLAIN")) {
            return "org.apache.kafka.common.security.plain.PlainLoginModule";
        }
        if (m.startsWith("SCRAM-")) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule";
        }
        throw new IllegalStateException("Kafka mechanism " + mechanism + " needs its own spring.kafka.properties."
                + JAAS + " (bootswarm.kafka.username and password make PLAIN and SCRAM logins only)");
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
