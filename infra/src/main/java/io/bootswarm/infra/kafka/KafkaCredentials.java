package io.bootswarm.infra.kafka;

import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;

import java.util.Map;

/**
 * How one {@link KafkaUser} authenticates to a broker of this module.
 *
 * @param username  the principal's name
 * @param password  generated for each broker start
 * @param mechanism {@code SCRAM-SHA-512} for services, {@code PLAIN} for the admin
 */
public record KafkaCredentials(String username, String password, String mechanism) {

    public static final String SCRAM = "SCRAM-SHA-512";
    public static final String PLAIN = "PLAIN";

    /** The JAAS line a Kafka client logs in with. */
    public String jaasConfig() {
        String module = PLAIN.equals(mechanism) ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        return module + " required username=\"" + escape(username) + "\" password=\"" + escape(password) + "\";";
    }

    /** The security settings of a plain Kafka client (producer, consumer, admin) that logs in as this user. */
    public Map<String, Object> clientProperties() {
        return Map.of(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT",
                SaslConfigs.SASL_MECHANISM, mechanism,
                SaslConfigs.SASL_JAAS_CONFIG, jaasConfig());
    }

    static String escape(String s) {
        return s.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    @Override
    public String toString() {
        return "KafkaCredentials[" + username + ", " + mechanism + "]";
    }
}
