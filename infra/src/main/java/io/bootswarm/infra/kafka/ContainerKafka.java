package io.bootswarm.infra.kafka;

import org.testcontainers.kafka.KafkaContainer;

import java.util.Map;

/**
 * A Kafka KRaft broker in a container, for machines with a Docker engine, secured as
 * {@link EmbeddedKafka} is on the listener the host reaches (SASL_PLAINTEXT: SCRAM-SHA-512 for the
 * services, PLAIN for the admin; {@link KafkaAcls} enforced). The container's own broker and
 * controller listeners stay PLAINTEXT with their anonymous principal a super user: they are not
 * published on the host, only the container's network reaches them, so this is for tests only.
 */
public final class ContainerKafka implements KafkaServer {

    /** The image Testcontainers runs; {@code auto} mode uses containers only when the engine already has it. */
    public static final String IMAGE = "apache/kafka:4.1.1";

    private final KafkaContainer container;
    private final Map<KafkaUser, KafkaCredentials> credentials;

    public ContainerKafka() {
        credentials = ClusterSetup.newCredentials();
        KafkaCredentials admin = credentials.get(KafkaUser.ADMIN);
        String plain = "org.apache.kafka.common.security.plain.PlainLoginModule required user_" + admin.username()
                + "=\"" + KafkaCredentials.escape(admin.password()) + "\";";
        // apache/kafka maps KAFKA_ variables to settings: '_' is '.', '__' is '_', '___' is '-'
        container = new KafkaContainer(IMAGE)
                .withEnv("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "BROKER:PLAINTEXT,PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT")
                .withEnv("KAFKA_SASL_ENABLED_MECHANISMS", KafkaCredentials.SCRAM + "," + KafkaCredentials.PLAIN)
                .withEnv("KAFKA_LISTENER_NAME_PLAINTEXT_PLAIN_SASL_JAAS_CONFIG", plain)
                .withEnv("KAFKA_LISTENER_NAME_PLAINTEXT_SCRAM___SHA___512_SASL_JAAS_CONFIG",
                        "org.apache.kafka.common.security.scram.ScramLoginModule required;")
                .withEnv("KAFKA_AUTHORIZER_CLASS_NAME", "org.apache.kafka.metadata.authorizer.StandardAuthorizer")
                .withEnv("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND", "false")
                .withEnv("KAFKA_SUPER_USERS", "User:" + admin.username() + ";User:ANONYMOUS");
        container.start();
        try {
            ClusterSetup.apply(container.getBootstrapServers(), credentials);
        } catch (RuntimeException e) {
            container.stop();
            throw e;
        }
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public KafkaCredentials credentials(KafkaUser user) {
        return credentials.get(user);
    }

    @Override
    public void close() {
        container.stop();
    }
}
