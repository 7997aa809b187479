package io.bootswarm.seed.replicas;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.Api;
import io.bootswarm.seed.PeerClient;
import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.SeedServiceApplication;
import io.bootswarm.seed.SeedTestSupport;
import io.bootswarm.seed.catalog.Catalog;
import io.bootswarm.testing.RawHttp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two seed replicas, A and B, on one database (the catalog) and one storage directory (the shared volume), with
 * no configured id: they take different ids; an image imported through A is listed by B and served by B over the
 * peer wire, every piece matching the manifest; B restarted while an upload to A runs keeps its id and leaves the
 * upload to complete; an image deleted through A stops being served by B; an import of a replica that is gone
 * (its heartbeat lapsed) is failed by the other and its temporary file deleted; each counts two live seeds (the
 * divisor of its share of the allocation plan).
 */
class SeedReplicasIT {

    private static final int PIECE = 256 * 1024;
    private static final Path STORAGE = SeedTestSupport.newStorageDir();
    private static final String DATABASE = SeedTestSupport.newDatabase();

    private static ConfigurableApplicationContext a;
    private static ConfigurableApplicationContext b;

    @BeforeAll
    static void start() {
        a = startSeed();
        b = startSeed();
    }

    @AfterAll
    static void stop() {
        for (ConfigurableApplicationContext c : new ConfigurableApplicationContext[]{b, a}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static ConfigurableApplicationContext startSeed() {
        Map<String, String> properties = new HashMap<>(SeedTestSupport.properties(DATABASE, STORAGE));
        properties.put("server.port", "0");
        properties.put("bootswarm.seed.catalog.watch-interval", "100ms");
        properties.put("bootswarm.seed.imports.renew-interval", "200ms");
        properties.put("bootswarm.seed.imports.lease-duration", "2s");
        properties.put("bootswarm.seed.replicas.heartbeat-interval", "200ms");
        properties.put("bootswarm.seed.replicas.lease", "2s");
        String[] args = properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        return SeedServiceApplication.builder().run(args);
    }

    private static Api api(ConfigurableApplicationContext seed) {
        return new Api(Integer.parseInt(seed.getEnvironment().getProperty("local.server.port")));
    }

    private static int peerPort(ConfigurableApplicationContext seed) {
        return seed.getBean(PeerWireServer.class).port();
    }

    private static String id(ConfigurableApplicationContext seed) {
        return seed.getBean(SeedIdentity.class).id();
    }

    @Test
    void replicasOfOneStorageDirectoryTakeDifferentIds() {
        assertThat(id(a)).startsWith("seed-");
        assertThat(id(b)).startsWith("seed-").isNotEqualTo(id(a));
    }

    @Test
    void eachReplicaCountsBothAndShowsItsShareOfThePlan() {
        for (ConfigurableApplicationContext seed : List.of(a, b)) {
            await("two seeds counted").atMost(Duration.ofSeconds(10)).until(() ->
                    Api.json(api(seed).get("/api/v1/allocation")).get("seeds").asInt() == 2);
        }
    }

    @Test
    void anImageImportedThroughOneIsServedByTheOtherWithEveryPieceVerified() throws Exception {
        byte[] bytes = randomBytes(5 * PIECE + 1234, 1);
        JsonNode image = Api.json(api(a).upload("through-a", bytes));
        UUID id = UUID.fromString(image.get("id").asString());
        SwarmId swarm = SwarmId.parse(image.get("swarmId").asString());

        JsonNode listed = Api.json(api(b).get("/api/v1/images?name=through-a"));
        assertThat(listed.size()).isEqualTo(1);
        assertThat(listed.get(0).get("id").asString()).isEqualTo(id.toString());
        byte[] hashes = b.getBean(Catalog.class).pieceHashes(id).orElseThrow();
        assertThat(fetchAll(peerPort(b), swarm, bytes.length, hashes)).isEqualTo(bytes);
    }

    @Test
    void aReplicaRestartedDuringAnImportOfTheOtherLeavesItToComplete() throws Exception {
        byte[] bytes = randomBytes(8 * PIECE, 2);
        int apiPort = Integer.parseInt(a.getEnvironment().getProperty("local.server.port"));
        String bId = id(b);
        try (RawHttp upload = SeedTestSupport.rawUpload(apiPort, "during-restart", "Content-Length: " + bytes.length)) {
            upload.write(Arrays.copyOf(bytes, 3 * PIECE));
            await("the upload running on A").atMost(Duration.ofSeconds(30)).until(() ->
                    running(api(a), "during-restart", 3L * PIECE));
            assertThat(list(STORAGE.resolve("tmp"))).hasSize(1);

            b.close();
            b = startSeed();
            assertThat(id(b)).isEqualTo(bId);
            assertThat(list(STORAGE.resolve("tmp"))).hasSize(1);
            JsonNode seenByB = named(Api.json(api(b).get("/api/v1/imports")), "during-restart");
            assertThat(seenByB.get("state").asString()).isEqualTo("RUNNING");

            upload.write(Arrays.copyOfRange(bytes, 3 * PIECE, bytes.length));
            RawHttp.Response response = upload.readResponse(Duration.ofSeconds(30));
            assertThat(response.status()).as(response.body()).isEqualTo(201);
        }
        JsonNode done = named(Api.json(api(b).get("/api/v1/imports")), "during-restart");
        assertThat(done.get("state").asString()).isEqualTo("DONE");
        assertThat(list(STORAGE.resolve("tmp"))).isEmpty();
        JsonNode image = Api.json(api(b).get("/api/v1/images?name=during-restart")).get(0);
        UUID id = UUID.fromString(image.get("id").asString());
        byte[] hashes = b.getBean(Catalog.class).pieceHashes(id).orElseThrow();
        assertThat(fetchAll(peerPort(b), SwarmId.parse(image.get("swarmId").asString()), bytes.length, hashes))
                .isEqualTo(bytes);
    }

    @Test
    void anImageDeletedThroughOneIsNoLongerServedByTheOther() throws Exception {
        byte[] bytes = randomBytes(3 * PIECE, 3);
        JsonNode image = Api.json(api(a).upload("deleted-through-a", bytes));
        SwarmId swarm = SwarmId.parse(image.get("swarmId").asString());
        try (PeerClient peer = PeerClient.connect(peerPort(b))) {
            peer.handshake(swarm, 3);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Bitfield.class);
            peer.send(PeerMessage.INTERESTED);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(peer.fetchPiece(0, PIECE)).isEqualTo(Arrays.copyOf(bytes, PIECE));

            assertThat(api(a).delete("/api/v1/images/" + image.get("id").asString()).statusCode()).isEqualTo(204);

            // B closes the swarm it had open: the next request fails and the connection is closed
            await("B to stop serving the deleted image").atMost(Duration.ofSeconds(10)).until(() -> {
                try {
                    peer.send(new PeerMessage.Request(1, 0, 16 * 1024));
                    return peer.closedByPeer(Duration.ofMillis(200));
                } catch (IOException e) {
                    return true;
                }
            });
        }
        try (PeerClient again = PeerClient.connect(peerPort(b))) {
            assertThat(handshakeRefused(again, swarm)).isTrue();
        }
    }

    @Test
    void anImportOfAReplicaThatIsGoneIsFailedAndItsFileDeleted() throws Exception {
        JdbcTemplate jdbc = a.getBean(JdbcTemplate.class);
        UUID importId = UUID.randomUUID();
        jdbc.update("insert into image_import (id, kind, name, state, started_at, owner, heartbeat_at) values "
                + "(?, 'UPLOAD', 'of-a-lost-seed', 'RUNNING', now() - interval '1 minute', 'seed-lost', "
                + "now() - interval '1 minute')", importId);
        Path tmp = STORAGE.resolve("tmp").resolve(importId + ".part");
        Files.write(tmp, randomBytes(100, 4));

        await("the lost seed's import failed").atMost(Duration.ofSeconds(10)).until(() ->
                "FAILED".equals(jdbc.queryForObject("select state from image_import where id = ?", String.class,
                        importId)));
        assertThat(tmp).doesNotExist();
        JsonNode failed = named(Api.json(api(a).get("/api/v1/imports")), "of-a-lost-seed");
        assertThat(failed.get("error").asString()).contains("gone");
    }

    /** Fetches every piece from the seed at {@code port} and checks each against {@code hashes} (the manifest's). */
    private static byte[] fetchAll(int port, SwarmId swarm, int size, byte[] hashes) throws Exception {
        int pieces = (size + PIECE - 1) / PIECE;
        byte[] out = new byte[size];
        try (PeerClient peer = PeerClient.connect(port)) {
            peer.handshake(swarm, pieces);
            PeerMessage first = peer.read();
            assertThat(first).isInstanceOf(PeerMessage.Bitfield.class);
            assertThat(PieceSet.fromBitfield(((PeerMessage.Bitfield) first).bits(), pieces).isComplete()).isTrue();
            peer.send(PeerMessage.INTERESTED);
            assertThat(peer.read()).isInstanceOf(PeerMessage.Unchoke.class);
            for (int p = 0; p < pieces; p++) {
                int length = Math.min(PIECE, size - p * PIECE);
                byte[] piece = peer.fetchPiece(p, length);
                assertThat(MessageDigest.getInstance("SHA-256").digest(piece)).as("piece %d", p)
                        .isEqualTo(Arrays.copyOfRange(hashes, p * 32, p * 32 + 32));
                System.arraycopy(piece, 0, out, p * PIECE, length);
            }
        }
        return out;
    }

    private static boolean handshakeRefused(PeerClient peer, SwarmId swarm) {
        try {
            peer.handshake(swarm, 3);
            return peer.closedByPeer(Duration.ofSeconds(5));
        } catch (IOException e) {
            return true;
        }
    }

    private static boolean running(Api api, String name, long atLeast) {
        for (JsonNode i : Api.json(api.get("/api/v1/imports"))) {
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

    private static List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] bytes = new byte[n];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }
}
