package io.bootswarm.infra.kafka;

import org.testcontainers.kafka.KafkaContainer;

/** A Kafka KRaft broker in a container, for machines with a Docker engine. */
public final class ContainerKafka implements KafkaServer {

    /** The image Testcontainers runs; {@code auto} mode uses containers only when the engine already has it. */
    public static final String IMAGE = "apache/kafka:4.1.1";

    private final KafkaContainer container;

    public ContainerKafka() {
        container = new KafkaContainer(IMAGE);
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
