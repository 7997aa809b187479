package io.bootswarm.seed;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.testing.RawHttp;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What every seed-service integration test sets up: a fresh database, the shared Kafka, its own
 * storage, the shared authorization server as the issuer of the tokens it accepts, and its own
 * client there (id {@code seed}, role {@code seed}) for registering at the tracker.
 */
public final class SeedTestSupport {

    private static final Map<KafkaUser, KafkaProducer<String, String>> PRODUCERS = new ConcurrentHashMap<>();

    private SeedTestSupport() {
    }

    /** A new, empty storage directory. */
    public static Path newStorageDir() {
        try {
            return Files.createTempDirectory("seed-it-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A new database on the shared PostgreSQL. */
    public static String newDatabase() {
        return Infra.shared().newDatabase("seed");
    }

    /**
     * Points the application at {@code database}, the shared Kafka, the shared authorization server,
     * {@code storage} and a free peer port.
     */
    public static void register(DynamicPropertyRegistry registry, String database, Path storage) {
        properties(database, storage).forEach((k, v) -> registry.add(k, () -> v));
    }

    /** The same as {@link #register}, as a map (for applications started by hand). */
    public static Map<String, String> properties(String database, Path storage) {
        Map<String, String> p = new TreeMap<>(Infra.shared().springProperties(database, KafkaUser.SEED));
        p.putAll(Infra.shared().clientProperties("seed", Set.of("seed"), null));
        p.put("bootswarm.seed.storage-dir", storage.toString());
        p.put("bootswarm.seed.peer-port", "0");
        p.put("bootswarm.seed.peer-token.keys", TestPeerTokens.publicKey());
        return p;
    }

    /**
     * Sends a record to the shared Kafka as {@code user}, the principal the ACLs let write {@code topic}
     * (the seed itself may not write plans or reports).
     */
    public static void send(KafkaUser user, String topic, String key, String value) throws Exception {
        PRODUCERS.computeIfAbsent(user, u -> new KafkaProducer<>(Infra.shared().kafka().clientProperties(u),
                new StringSerializer(), new StringSerializer()))
                .send(new ProducerRecord<>(topic, key, value)).get(10, TimeUnit.SECONDS);
    }

    /**
     * Opens a connection to the seed at {@code port} and sends the request line and headers of an upload
     * of image {@code name}, holding the body back; {@code extraHeaders} e.g. a Content-Length. It carries
     * the operator's bearer token unless {@code extraHeaders} has an Authorization.
     */
    public static RawHttp rawUpload(int port, String name, String... extraHeaders) throws IOException {
        java.util.List<String> headers = new java.util.ArrayList<>();
        headers.add("Content-Type: application/octet-stream");
        headers.addAll(java.util.List.of(extraHeaders));
        if (!RawHttp.hasHeader("Authorization", extraHeaders)) {
            headers.add("Authorization: Bearer " + Tokens.operator());
        }
        return RawHttp.request(port, "POST", "/api/v1/images?name=" + name, headers.toArray(String[]::new));
    }
}
