package io.bootswarm.seed.imports;

import io.bootswarm.seed.Api;
import io.bootswarm.testing.RawHttp;
import io.bootswarm.seed.SeedServiceApplication;
import io.bootswarm.seed.SeedTestSupport;
import io.bootswarm.infra.Infra;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Restart safety, for real: a seed in its own JVM is killed (SIGKILL) in the middle of an upload and
 * of a path import; a new seed on the same database and storage marks both FAILED, deletes their
 * temporary files (and an image file no row refers to), and keeps what had finished.
 */
class ImportRestartIT {

    private static final int PIECE = 256 * 1024;

    @Test
    void importsCutOffByACrashAreFailedAndCleanedUpOnRestart(@TempDir Path work) throws Exception {
        Path storage = SeedTestSupport.newStorageDir();
        String database = SeedTestSupport.newDatabase();
        Map<String, String> properties = new HashMap<>(SeedTestSupport.properties(database, storage));
        // 1 byte per second: a path import reads its first two pieces (the burst and its overdraft) and then holds
        // for days, so it is still RUNNING when the seed is killed however slow the machine is
        properties.put("bootswarm.seed.path-import-rate", "1B");
        int port = freePort();

        UUID kept;
        Process seed = startSeed(properties, port, work.resolve("seed.log"));
        try {
            Api api = new Api(port);
            awaitTrue("the seed to start (log: " + work.resolve("seed.log") + ")", Duration.ofMinutes(3),
                    () -> seed.isAlive() && healthy(api));
            var done = api.upload("kept-image", randomBytes(PIECE + 10, 1));
            assertThat(done.statusCode()).isEqualTo(201);
            kept = UUID.fromString(Api.json(done).get("id").asString());

            // A path import held after its first pieces ...
            Files.write(storage.resolve("import").resolve("slow.raw"), randomBytes(8 * PIECE, 2));
            assertThat(api.postJson("/api/v1/imports", "{\"name\":\"crashed-path\",\"path\":\"slow.raw\"}")
                    .statusCode()).isEqualTo(202);
            // ... and an upload that has sent 3 of its 8 pieces when the seed dies.
            try (RawHttp up = SeedTestSupport.rawUpload(port, "crashed-upload", "Content-Length: " + 8 * PIECE)) {
                up.write(randomBytes(3 * PIECE, 3));
                awaitTrue("both imports running", Duration.ofSeconds(60), () -> {
                    JsonNode all = Api.json(api.get("/api/v1/imports"));
                    return running(all, "crashed-upload", 3L * PIECE) && running(all, "crashed-path", 1);
                });
                seed.destroyForcibly();
                assertThat(seed.waitFor(Duration.ofSeconds(30))).isTrue();
            }
        } finally {
            seed.destroyForcibly();
        }

        // What the crash left behind.
        assertThat(states(database)).containsExactlyInAnyOrder("DONE", "RUNNING", "RUNNING");
        assertThat(list(storage.resolve("tmp"))).hasSize(2);
        Path orphan = storage.resolve("images").resolve(UUID.randomUUID() + ".img");
        Files.write(orphan, randomBytes(100, 4));   // as a crash between rename and commit would leave it

        properties.put("server.port", "0");
        // no allocation consumers: their groups still hold the killed seed's members (the seed id lives in the
        // storage directory) until Kafka's session timeout, and closing a consumer that waits in that rebalance
        // held the context's close for 30 s
        properties.put("bootswarm.seed.allocation.enabled", "false");
        String[] args = properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        try (ConfigurableApplicationContext restarted = SeedServiceApplication.builder().run(args)) {
            Api api = new Api(Integer.parseInt(restarted.getEnvironment().getProperty("local.server.port")));
            JsonNode imports = Api.json(api.get("/api/v1/imports"));
            for (String name : List.of("crashed-upload", "crashed-path")) {
                JsonNode i = named(imports, name);
                assertThat(i.get("state").asString()).as(name).isEqualTo("FAILED");
                assertThat(i.get("error").asString()).isEqualTo("interrupted by restart");
                assertThat(i.get("finishedAt").isNull()).isFalse();
                assertThat(i.get("imageId").isNull()).isTrue();
            }
            assertThat(named(imports, "crashed-upload").get("bytesTotal").asLong()).isEqualTo(8L * PIECE);
            assertThat(named(imports, "kept-image").get("state").asString()).isEqualTo("DONE");
            assertThat(list(storage.resolve("tmp"))).isEmpty();
            assertThat(list(storage.resolve("images"))).containsExactly(kept + ".img");
            JsonNode images = Api.json(api.get("/api/v1/images"));
            assertThat(images.size()).isEqualTo(1);
            assertThat(images.get(0).get("name").asString()).isEqualTo("kept-image");
            assertThat(api.get("/api/v1/images/" + kept + "/manifest").statusCode()).isEqualTo(200);
            // The names of the interrupted imports are free.
            assertThat(api.upload("crashed-upload", randomBytes(1000, 5)).statusCode()).isEqualTo(201);
        }
    }

    private static Process startSeed(Map<String, String> properties, int port, Path log) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"), "-Xmx512m", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"), SeedServiceApplication.class.getName(),
                "--server.port=" + port));
        properties.forEach((k, v) -> command.add("--" + k + "=" + v));
        return new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    private static boolean healthy(Api api) {
        try {
            return api.get("/actuator/health").statusCode() == 200;
        } catch (UncheckedIOException e) {
            return false;
        }
    }

    private static boolean running(JsonNode imports, String name, long atLeast) {
        for (JsonNode i : imports) {
            if (i.get("name").asString().equals(name)) {
                return i.get("state").asString().equals("RUNNING") && i.get("bytesDone").asLong() >= atLeast;
            }
        }
        return false;
    }

    private static JsonNode named(JsonNode imports, String name) {
        for (JsonNode i : imports) {
            if (i.get("name").asString().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no import named " + name + " in " + imports);
    }

    private static List<String> states(String database) throws Exception {
        Infra infra = Infra.shared();
        try (Connection c = DriverManager.getConnection(database, infra.postgres().username(),
                infra.postgres().password());
             ResultSet rs = c.createStatement().executeQuery("select state from seed.image_import")) {
            List<String> states = new ArrayList<>();
            while (rs.next()) {
                states.add(rs.getString(1));
            }
            return states;
        }
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static void awaitTrue(String what, Duration timeout, BooleanSupplier condition) {
        await(what).atMost(timeout).pollInterval(Duration.ofMillis(100)).until(condition::getAsBoolean);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
