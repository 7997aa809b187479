package io.bootswarm.infra.kafka;

import org.apache.kafka.clients.CommonClientConfigs;

import java.util.HashMap;
import java.util.Map;

/**
 * A running Kafka cluster the fleet's services connect to: SASL on its client listeners, one
 * principal per service with the ACLs of {@link KafkaAcls}, the bootswarm topics created up front.
 */
public interface KafkaServer extends AutoCloseable {

    /** The {@code bootstrap.servers} value. */
    String bootstrapServers();

    /** How {@code user} logs in (passwords are generated for each broker start). */
    KafkaCredentials credentials(KafkaUser user);

    /** The settings of a plain Kafka client that connects as {@code user}. */
    default Map<String, Object> clientProperties(KafkaUser user) {
        Map<String, Object> p = new HashMap<>(credentials(user).clientProperties());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return p;
    }

    /**
     * The Spring Boot properties of a service that connects as {@code user}; topics are not created by
     * services here (they have no right to), this broker created them.
     */
    default Map<String, String> springProperties(KafkaUser user) {
        KafkaCredentials c = credentials(user);
        return Map.of("spring.kafka.bootstrap-servers", bootstrapServers(),
                "bootswarm.kafka.username", c.username(),
                "bootswarm.kafka.password", c.password(),
                "bootswarm.kafka.mechanism", c.mechanism(),
                "bootswarm.kafka.create-topics", "false");
    }

    /**
     * Takes the broker away as a crashed or restarting broker goes, keeping its data, port and users
     * for {@link #startBroker()}.
     *
     * @throws UnsupportedOperationException where this kind of server cannot be restarted in place
     */
    default void stopBroker() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be stopped and started again");
    }

    /**
     * Brings back the broker {@link #stopBroker()} took away: same address, data and credentials;
     * returns once it serves.
     *
     * @throws UnsupportedOperationException where this kind of server cannot be restarted in place
     */
    default void startBroker() {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot be stopped and started again");
    }

    @Override
    void close();
}
