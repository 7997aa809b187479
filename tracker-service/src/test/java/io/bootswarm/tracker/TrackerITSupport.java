package io.bootswarm.tracker;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import io.bootswarm.infra.Infra;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the tracker's integration tests: one application context (real PostgreSQL and Kafka
 * from {@link Infra#shared()}, a fresh database), a stand-in seed-service registered as a live seed
 * before every test, and plain-HTTP helpers. Host timeout is 3 s so DOWN can be observed. Loopback
 * callers are in the trusted networks, so that tests can announce made-up addresses (10.x) for peers
 * on other machines, as agents behind NAT would; {@code UntrustedAddressIT} runs without.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=tracker-service",
        "bootswarm.tracker.host-timeout=3s",
        "bootswarm.tracker.sweep-interval=200ms",
        "bootswarm.outbox.poll-interval=200ms",
        "resilience4j.timelimiter.instances.seed-service.timeout-duration=500ms",
        "resilience4j.retry.instances.seed-service.wait-duration=50ms",
        // the error-path tests fail on purpose; keep the circuit closed for the others
        "resilience4j.circuitbreaker.instances.seed-service.minimum-number-of-calls=1000",
        "resilience4j.circuitbreaker.instances.seed-service.sliding-window-size=1000",
        "bootswarm.tracker.announce.trusted-networks=127.0.0.0/8,::1/128",
})
public abstract class TrackerITSupport {

    protected static final Infra INFRA = Infra.shared();
    protected static final String DATABASE = INFRA.newDatabase("tracker");
    protected static final StandInSeed SEED = StandInSeed.start();
    protected static final int SEED_PEER_PORT = 16881;

    protected final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    @Autowired
    protected io.bootswarm.tracker.stock.Passkeys passkeys;

    private String passkey;

    /** A passkey for stock-client announces ({@code /announce/<passkey>}), issued once per test. */
    protected String passkey() {
        if (passkey == null) {
            passkey = passkeys.issue("it-" + getClass().getSimpleName());
        }
        return passkey;
    }

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRA.springProperties(DATABASE).forEach((name, value) -> registry.add(name, () -> value));
        registry.add("bootswarm.tracker.peer-token.key-file", () -> PEER_TOKEN_KEY.toString());
    }

    /** The tracker's peer-token key, made by the first context in a fresh directory. */
    protected static final java.nio.file.Path PEER_TOKEN_KEY = peerTokenKeyFile();

    private static java.nio.file.Path peerTokenKeyFile() {
        try {
            return java.nio.file.Files.createTempDirectory("tracker-it-").resolve("peer-token-key.pem");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** seed-service heartbeats; tests may run longer than the seed TTL. */
    @BeforeEach
    void registerStandInSeed() {
        Response r = post("/api/v1/seeds", """
                {"id": "seed-it", "peerHost": "127.0.0.1", "peerPort": %d, "apiUrl": "%s"}"""
                .formatted(SEED_PEER_PORT, SEED.url()));
        assertThat(r.status()).isEqualTo(204);
    }

    /** A fresh host name, so tests do not see each other's hosts. */
    protected static String hostName(String prefix) {
        return prefix + "-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 40), 36);
    }

    protected Response registerHost(String name) {
        Response r = post("/api/v1/hosts", """
                {"name": "%s", "apiUrl": "http://127.0.0.1:9%03d", "peerHost": "127.0.0.1", "peerPort": 6882}"""
                .formatted(name, Math.abs(name.hashCode()) % 1000));
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    protected long count(String table) {
        return jdbc.queryForObject("select count(*) from tracker." + table, Long.class);
    }

    /** Row counts of everything a launch writes. */
    protected Map<String, Long> launchRows() {
        return Map.of("launches", count("launches"), "launch_hosts", count("launch_hosts"), "outbox", count("outbox"));
    }

    /** An HTTP response with its body parsed on demand. */
    public record Response(int status, Map<String, List<String>> headers, String body) {
        public DocumentContext json() {
            return JsonPath.parse(body);
        }

        public <T> T json(String path) {
            return JsonPath.read(body, path);
        }

        public String header(String name) {
            return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
                    .findFirst().map(e -> e.getValue().getFirst()).orElse(null);
        }
    }

    protected URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    protected Response post(String path, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    protected Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    protected Response delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE().build());
    }

    protected Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().map(), r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    protected HttpResponse<byte[]> getBytes(String pathAndQuery) {
        try {
            return http.send(HttpRequest.newBuilder(uri(pathAndQuery)).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Asserts an RFC 9457 problem body of the given status and bootswarm slug. */
    protected static void assertProblem(Response r, int status, String slug) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertThat(r.<String>json("$.type")).isEqualTo("urn:bootswarm:problem:" + slug);
        assertThat(r.<Integer>json("$.status")).isEqualTo(status);
        assertThat(r.<String>json("$.detail")).isNotBlank();
    }

    protected static UUID uuid(String s) {
        return UUID.fromString(s);
    }
}
