package io.bootswarm.seed.serving;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.PeerClient;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Images opened to stock BitTorrent clients: closed by default (a peer without a token gets nothing),
 * opened by {@code PUT /api/v1/images/{id}/stock-clients} (then served without a token), closed again
 * (its connections dropped); the info dictionary the tracker wraps into a .torrent hashes to the swarm id.
 */
class StockClientsIT extends SeedApiItBase {

    private static final int PIECE = 256 * 1024;

    @Autowired
    private PeerWireServer server;

    private HttpResponse<String> put(String path, String json) {
        return api.send(HttpRequest.newBuilder(URI.create(api.base() + path)).header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(json)));
    }

    @Test
    void onlyAnOpenedImageIsServedToPeersWithoutToken(@TempDir Path tmp) throws Exception {
        Path file = TestImages.write(tmp.resolve("stock.raw"), 3L * PIECE, 21);
        byte[] bytes = Files.readAllBytes(file);
        JsonNode image = json(api.upload("it-stock-" + UUID.randomUUID().toString().substring(0, 8), file));
        String id = image.get("id").asString();
        SwarmId swarm = SwarmId.parse(image.get("swarmId").asString());

        JsonNode state = json(api.get("/api/v1/images/" + id + "/stock-clients"));
        assertThat(state.get("open").asBoolean()).as("closed by default").isFalse();
        long refused = server.refusedPeers();
        try (PeerClient stock = PeerClient.connect(server.port())) {
            stock.handshake(swarm, 3, null);
            assertThat(stock.closedByPeer(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(server.refusedPeers()).isEqualTo(refused + 1);

        HttpResponse<String> opened = put("/api/v1/images/" + id + "/stock-clients", "{\"open\": true}");
        assertThat(opened.statusCode()).as(opened.body()).isEqualTo(200);
        assertThat(json(opened).get("open").asBoolean()).isTrue();
        assertThat(json(opened).get("swarmId").asString()).isEqualTo(swarm.hex());
        assertThat(json(api.get("/api/v1/swarms/" + swarm.hex() + "/stock-clients")).get("open").asBoolean()).isTrue();

        try (PeerClient stock = PeerClient.connect(server.port())) {
            stock.handshake(swarm, 3, null);
            assertThat(stock.read()).isInstanceOf(PeerMessage.Bitfield.class);
            stock.send(PeerMessage.INTERESTED);
            assertThat(stock.read()).isInstanceOf(PeerMessage.Unchoke.class);
            assertThat(stock.fetchPiece(1, PIECE)).isEqualTo(Arrays.copyOfRange(bytes, PIECE, 2 * PIECE));

            // closing drops the stock connection, and new ones are refused again
            assertThat(put("/api/v1/images/" + id + "/stock-clients", "{\"open\": false}").statusCode()).isEqualTo(200);
            assertThat(stock.closedByPeer(Duration.ofSeconds(10))).isTrue();
        }
        try (PeerClient stock = PeerClient.connect(server.port())) {
            stock.handshake(swarm, 3, null);
            assertThat(stock.closedByPeer(Duration.ofSeconds(10))).isTrue();
        }
        assertThat(server.refusedPeers()).isEqualTo(refused + 2);
        // an agent with a token is served whatever the flag
        try (PeerClient agent = PeerClient.connect(server.port())) {
            agent.handshake(swarm, 3);
            assertThat(agent.read()).isInstanceOf(PeerMessage.Bitfield.class);
        }
    }

    @Test
    void theInfoDictionaryHashesToTheSwarmId(@TempDir Path tmp) throws Exception {
        Path file = TestImages.write(tmp.resolve("info.raw"), 2L * PIECE + 17, 5);
        String name = "it-info-" + UUID.randomUUID().toString().substring(0, 8);
        JsonNode image = json(api.upload(name, file));
        HttpResponse<byte[]> info = java.net.http.HttpClient.newHttpClient().send(io.bootswarm.infra.auth.Tokens.authorized(
                HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/images/" + image.get("id").asString()
                        + "/torrent-info")).build()),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(info.headers().firstValue("Content-Type")).hasValue("application/x-bittorrent");
        assertThat(MessageDigest.getInstance("SHA-1").digest(info.body()))
                .isEqualTo(SwarmId.parse(image.get("swarmId").asString()).toBytes());
        Map<?, ?> dict = (Map<?, ?>) Bencode.decode(info.body());
        assertThat(new String((byte[]) dict.get("name"))).isEqualTo(name);
        assertThat(dict.get("length")).isEqualTo(2L * PIECE + 17);
        assertThat(dict.containsKey("private")).isFalse();
    }

    @Test
    void badRequestsAreProblems() {
        HttpResponse<String> noBody = put("/api/v1/images/" + UUID.randomUUID() + "/stock-clients", "{}");
        assertThat(noBody.statusCode()).isEqualTo(400);
        assertThat(noBody.headers().firstValue("Content-Type")).hasValueSatisfying(
                v -> assertThat(v).startsWith("application/problem+json"));
        HttpResponse<String> unknown = put("/api/v1/images/" + UUID.randomUUID() + "/stock-clients",
                "{\"open\": true}");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(json(unknown).get("type").asString()).isEqualTo("urn:bootswarm:problem:image-not-found");
        assertThat(api.get("/api/v1/swarms/" + "ab".repeat(20) + "/stock-clients").statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/swarms/xyz/stock-clients").statusCode()).isEqualTo(400);
    }
}
