package io.bootswarm.infra.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The embedded broker listens where it is told: a host that joins the local fleet on its own is given
 * {@code localhost:<port>} and must find the broker there (before the fix the port was ignored and the
 * broker took a random one).
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
