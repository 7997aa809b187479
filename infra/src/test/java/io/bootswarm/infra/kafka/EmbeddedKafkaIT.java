package io.bootswarm.infra.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The embedded broker listens where it is told: a host that joins the local fleet on its own is given
 * {@code localhost:<port>} and must find the broker there (before the fix the port was ignored and the
 * broker took a random one). Stopped and started again, it comes back where it was, with its records
 * and with the passwords its clients already have.
 */
class EmbeddedKafkaIT {

    @Test
    void brokerListensAndAdvertisesTheGivenPort() throws Exception {
        int port = freePort();
        try (EmbeddedKafka kafka = EmbeddedKafka.start(port, 1)) {
            assertThat(kafka.bootstrapServers()).endsWith(":" + port);
            Map<String, Object> config = new HashMap<>(kafka.credentials(KafkaUser.ADMIN).clientProperties());
            config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port);
            try (Admin admin = Admin.create(config)) {
                Collection<Node> nodes = admin.describeCluster().nodes().get();
                assertThat(nodes).extracting(Node::port).containsExactly(port);
            }
        }
    }

    @Test
    void aStoppedBrokerComesBackOnItsPortWithItsRecordsAndItsUsers() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.start(0, 1);
             KafkaProducer<String, String> tracker = producer(kafka)) {
            String bootstrap = kafka.bootstrapServers();
            tracker.send(new ProducerRecord<>(KafkaAcls.LAUNCH_COMMANDS, "k", "before")).get(30, TimeUnit.SECONDS);

            kafka.stopBroker();
            String[] hostPort = bootstrap.split(",")[0].split(":");
            assertThatThrownBy(() -> new Socket().connect(
                    new InetSocketAddress(hostPort[0], Integer.parseInt(hostPort[1])), 2000))
                    .as("the broker's port while it is stopped").isInstanceOf(ConnectException.class);
            assertThatThrownBy(kafka::stopBroker).isInstanceOf(IllegalStateException.class);

            kafka.startBroker();
            assertThat(kafka.bootstrapServers()).isEqualTo(bootstrap);
            tracker.send(new ProducerRecord<>(KafkaAcls.LAUNCH_COMMANDS, "k", "after")).get(30, TimeUnit.SECONDS);
            assertThat(consumeAll(kafka, 2)).as("records written before and after the restart")
                    .containsExactly("before", "after");
        }
    }

    /** The tracker's producer: SCRAM, logging in again by itself after the broker comes back. */
    private static KafkaProducer<String, String> producer(EmbeddedKafka kafka) {
        Map<String, Object> p = kafka.clientProperties(KafkaUser.TRACKER);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 500);
        return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
    }

    private static List<String> consumeAll(EmbeddedKafka kafka, int expected) {
        Map<String, Object> p = kafka.clientProperties(KafkaUser.AGENT);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, "node-agent-restart-test");
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
            c.subscribe(List.of(KafkaAcls.LAUNCH_COMMANDS));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (values.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(500))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
