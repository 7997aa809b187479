package io.bootswarm.agent.manifest;

import com.sun.net.httpserver.HttpServer;
import io.bootswarm.agent.tracker.TrackerClient;
import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.testing.ManualClock;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The piece groups of an image as the catalog reads them from the seed (a JDK HTTP server here):
 * decoded per piece, and cached for the age asked for, on a hand-moved clock.
 */
class ManifestCatalogGroupsTest {

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    final UUID image = UUID.randomUUID();
    final List<String> requests = new CopyOnWriteArrayList<>();
    volatile String groupsJson;
    final HttpServer seed;

    ManifestCatalogGroupsTest() throws IOException {
        seed = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        seed.createContext("/api/v1/images/", exchange -> {
            try (exchange) {
                requests.add(exchange.getRequestURI().getPath());
                byte[] body = groupsJson.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            }
        });
        seed.start();
    }

    @AfterEach
    void close() {
        seed.stop(0);
    }

    /** The seed's groups document: {@code byPiece} indexes {@code groupIds}, -1 for an all-zero piece. */
    void groups(List<String> groupIds, int... byPiece) {
        ByteBuffer b = ByteBuffer.allocate(4 * byPiece.length);
        for (int g : byPiece) {
            b.putInt(g);
        }
        StringBuilder gs = new StringBuilder();
        for (String g : groupIds) {
            gs.append(gs.isEmpty() ? "" : ",").append("{\"groupId\":\"").append(g).append("\"}");
        }
        groupsJson = "{\"imageId\":\"" + image + "\",\"version\":\"v1\",\"pieceCount\":" + byPiece.length
                + ",\"groups\":[" + gs + "],\"pieceGroups\":\"" + Base64.getEncoder().encodeToString(b.array()) + "\"}";
    }

    ManifestCatalog catalog() throws IOException {
        String url = "http://127.0.0.1:" + seed.getAddress().getPort();
        RetryRegistry retries = RetryRegistry.of(RetryConfig.custom().maxAttempts(1).build());
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        TimeLimiterRegistry limiters = TimeLimiterRegistry.of(TimeLimiterConfig.custom()
                .timeoutDuration(Duration.ofSeconds(30)).build());
        TrackerClient tracker = new TrackerClient(RestClient.builder().baseUrl(url).build(), url,
                RemoteCall.of("tracker", retries, breakers, limiters), "127.0.0.1");
        ManifestTrust trust = new ManifestTrust(List.of(), dir.resolve(ManifestTrust.PIN_FILE), true, false);
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        return new ManifestCatalog(dir, RestClient.builder(), RemoteReplicas.of("seed", List.of(url),
                RestClient.builder(), retries, breakers, limiters, meters), tracker,
                RemoteCall.of("seed", retries, breakers, limiters), trust, meters, clock);
    }

    @Test
    void theGroupOfEachPieceNullForZeroPiecesCachedForTheAgeAskedOnTheClock() throws IOException {
        groups(List.of("g-a", "g-b"), 0, 0, -1, 1);
        ManifestCatalog catalog = catalog();

        assertThat(catalog.groups(image, Duration.ofMinutes(1))).containsExactly("g-a", "g-a", null, "g-b");
        assertThat(requests).containsExactly("/api/v1/images/" + image + "/groups");

        groups(List.of("g-c"), 0, 0, -1, 0);
        clock.advance(Duration.ofSeconds(59));
        assertThat(catalog.groups(image, Duration.ofMinutes(1))).as("cached").containsExactly("g-a", "g-a", null,
                "g-b");
        assertThat(requests).hasSize(1);

        clock.advance(Duration.ofSeconds(1));
        assertThat(catalog.groups(image, Duration.ofMinutes(1))).containsExactly("g-c", "g-c", null, "g-c");
        assertThat(requests).hasSize(2);
        catalog.close();
    }

    @Test
    void aDocumentWithoutPieceGroupsIsAnError() throws IOException {
        groupsJson = "{\"imageId\":\"" + image + "\",\"version\":\"v1\",\"pieceCount\":4,\"groups\":[]}";
        ManifestCatalog catalog = catalog();
        assertThatThrownBy(() -> catalog.groups(image, Duration.ofMinutes(1))).isInstanceOf(IOException.class)
                .hasMessageContaining("no piece groups");
        catalog.close();
    }
}
