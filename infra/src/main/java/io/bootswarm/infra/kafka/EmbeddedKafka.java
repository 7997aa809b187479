package io.bootswarm.infra.kafka;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.util.Map;

/**
 * A real Kafka broker in KRaft mode (no ZooKeeper) running inside this JVM, from Apache Kafka's
 * own test kit as Spring Kafka packages it. Topics are created by the services' producers and
 * consumers (auto-create is on), with {@code partitions} partitions each.
 */
public final class EmbeddedKafka implements KafkaServer {

    private final EmbeddedKafkaKraftBroker broker;
    private boolean closed;

    private EmbeddedKafka(EmbeddedKafkaKraftBroker broker) {
        this.broker = broker;
    }

    /**
     * @param port TCP port for the broker's listener, 0 for a free one
     */
    public static EmbeddedKafka start(int port, int partitions) {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, partitions);
        if (port != 0) {
            broker.kafkaPorts(port);
        }
        broker.brokerProperties(Map.of(
                "auto.create.topics.enable", "true",
                "num.partitions", Integer.toString(partitions),
                "offsets.topic.replication.factor", "1",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "group.initial.rebalance.delay.ms", "0"));
        broker.afterPropertiesSet();
        EmbeddedKafka kafka = new EmbeddedKafka(broker);
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "embedded-kafka-stop"));
        return kafka;
    }

    @Override
    public String bootstrapServers() {
        return broker.getBrokersAsString();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            broker.destroy();
        }
    }
}
