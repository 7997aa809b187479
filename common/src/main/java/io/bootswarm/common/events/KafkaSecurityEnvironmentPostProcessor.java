package io.bootswarm.common.events;

import org.springframework.boot.EnvironmentPostProcessor;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.Ordered;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.MapPropertySource;
import org.springframework.util.ClassUtils;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * Turns {@link KafkaSecurityProperties} into the Kafka clients' settings (producers, consumers and
 * admin alike), after the configuration files are read and below every other source, so that a
 * {@code spring.kafka.*} setting given directly wins; refuses to start a service that would connect
 * without credentials unless {@code bootswarm.kafka.security=none} says so.
 */
class KafkaSecurityEnvironmentPostProcessor implements EnvironmentPostProcessor, Ordered {

    static final String SOURCE = "bootswarmKafkaSecurity";
    static final String JAAS = "spring.kafka.properties.sasl.jaas.config";

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    @Override
    public void postProcessEnvironment(ConfigurableEnvironment environment, SpringApplication application) {
        if (!ClassUtils.isPresent("org.apache.kafka.clients.CommonClientConfigs", getClass().getClassLoader())) {
            return;
        }
        KafkaSecurityProperties p = Binder.get(environment)
                .bindOrCreate("bootswarm.kafka", KafkaSecurityProperties.class);
        Map<String, Object> derived = clientSettings(p, environment::getProperty);
        if (!derived.isEmpty()) {
            environment.getPropertySources().addLast(new MapPropertySource(SOURCE, derived));
        }
    }

    /** The {@code spring.kafka.*} settings {@code p} stands for, given the other settings {@code env}. */
    static Map<String, Object> clientSettings(KafkaSecurityProperties p, UnaryOperator<String> env) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (p.security() == KafkaSecurityProperties.Security.NONE) {
            return out;
        }
        out.put("spring.kafka.security.protocol", p.protocol());
        out.put("spring.kafka.properties.sasl.mechanism", p.mechanism());
        if (env.apply(JAAS) != null) {
            return out;
        }
        String username = p.username() != null && !p.username().isBlank() ? p.username()
                : env.apply("spring.application.name");
        if (username == null || username.isBlank() || p.password() == null || p.password().isEmpty()) {
            throw new IllegalStateException("Kafka needs credentials: set bootswarm.kafka.password"
                    + " (BOOTSWARM_KAFKA_PASSWORD) and, unless it is the application name, bootswarm.kafka.username;"
                    + " or set bootswarm.kafka.security=none to connect to a broker without authentication (insecure)");
        }
        out.put(JAAS, loginModule(p.mechanism()) + " required username=\"" + escape(username)
                + "\" password=\"" + escape(p.password()) + "\";");
        return out;
    }

    private static String loginModule(String mechanism) {
        String m = mechanism.toUpperCase(Locale.ROOT);
        if (m.equals("PLAIN")) {
            return "org.apache.kafka.common.security.plain.PlainLoginModule";
        }
        if (m.startsWith("SCRAM-")) {
            return "org.apache.kafka.common.security.scram.ScramLoginModule";
        }
        throw new IllegalStateException("bootswarm.kafka.mechanism " + mechanism
                + " needs its own " + JAAS + " (username and password build only PLAIN and SCRAM logins)");
    }

    private static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
