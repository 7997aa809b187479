package io.bootswarm.infra.kafka;

/** A running Kafka cluster the fleet's services connect to. */
public interface KafkaServer extends AutoCloseable {

    /** The {@code bootstrap.servers} value. */
    String bootstrapServers();

    @Override
    void close();
}
