package io.bootswarm.infra.kafka;

import org.testcontainers.kafka.KafkaContainer;

/** A Kafka KRaft broker in a container, for machines with a Docker engine. */
public final class ContainerKafka implements KafkaServer {

    private final KafkaContainer container;

    public ContainerKafka() {
        container = new KafkaContainer("apache/kafka:4.1.1");
        container.start();
    }

    @Override
    public String bootstrapServers() {
        return container.getBootstrapServers();
    }

    @Override
    public void close() {
        container.stop();
    }
}
