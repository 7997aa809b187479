package io.bootswarm.infra.kafka;

import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

import java.util.HashMap;
import java.util.Map;

/**
 * A real Kafka broker in KRaft mode (no ZooKeeper) running inside this JVM, from Apache Kafka's
 * own test kit as Spring Kafka packages it. Topics are created by the services' producers and
 * consumers (auto-create is on), with {@code partitions} partitions each.
 */
public final class EmbeddedKafka implements KafkaServer {

    private static final String FIXED_LISTENER = "FIXED";

    private final EmbeddedKafkaKraftBroker broker;
    private final int fixedPort;
    private boolean closed;

    private EmbeddedKafka(EmbeddedKafkaKraftBroker broker, int fixedPort) {
        this.broker = broker;
        this.fixedPort = fixedPort;
    }

    /**
     * @param port TCP port for the broker's listener, 0 for a free one
     */
    public static EmbeddedKafka start(int port, int partitions) {
        EmbeddedKafkaKraftBroker broker = new EmbeddedKafkaKraftBroker(1, partitions);
        Map<String, String> properties = new HashMap<>(Map.of(
                "auto.create.topics.enable", "true",
                "num.partitions", Integer.toString(partitions),
                "offsets.topic.replication.factor", "1",
                "transaction.state.log.replication.factor", "1",
                "transaction.state.log.min.isr", "1",
                "group.initial.rebalance.delay.ms", "0"));
        if (port != 0) {
            // The KRaft test kit binds its own listeners to sockets it pre-binds on free ports (and
            // EmbeddedKafkaKraftBroker.kafkaPorts(...) is ignored), so a third listener of ours takes the
            // fixed port; a client that bootstraps there is handed the same address in metadata.
            properties.put("listeners", "EXTERNAL://localhost:0,CONTROLLER://localhost:0,"
                    + FIXED_LISTENER + "://127.0.0.1:" + port);
            properties.put("listener.security.protocol.map",
                    "EXTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT," + FIXED_LISTENER + ":PLAINTEXT");
        }
        broker.brokerProperties(properties);
        broker.afterPropertiesSet();
        EmbeddedKafka kafka = new EmbeddedKafka(broker, port);
        Runtime.getRuntime().addShutdownHook(new Thread(kafka::close, "embedded-kafka-stop"));
        return kafka;
    }

    @Override
    public String bootstrapServers() {
        return fixedPort != 0 ? "127.0.0.1:" + fixedPort : broker.getBrokersAsString();
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            broker.destroy();
        }
    }
}
