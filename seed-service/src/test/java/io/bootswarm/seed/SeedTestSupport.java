package io.bootswarm.seed;

import io.bootswarm.infra.Infra;
import org.springframework.test.context.DynamicPropertyRegistry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

/** What every seed-service integration test sets up: a fresh database, the shared Kafka, its own storage. */
public final class SeedTestSupport {

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

    /** Points the application at {@code database}, the shared Kafka, {@code storage} and a free peer port. */
    public static void register(DynamicPropertyRegistry registry, String database, Path storage) {
        properties(database, storage).forEach((k, v) -> registry.add(k, () -> v));
    }

    /** The same as {@link #register}, as a map (for applications started by hand). */
    public static Map<String, String> properties(String database, Path storage) {
        Map<String, String> p = new TreeMap<>(Infra.shared().springProperties(database));
        p.put("bootswarm.seed.storage-dir", storage.toString());
        p.put("bootswarm.seed.peer-port", "0");
        p.put("bootswarm.seed.peer-token.keys", TestPeerTokens.publicKey());
        return p;
    }
}
