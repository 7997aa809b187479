package io.bootswarm.tracker;

import io.bootswarm.testing.StandInSeed;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.Infra;
import io.bootswarm.testing.TestHttp;
import io.bootswarm.testing.TestHttp.Response;
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
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of the tracker's integration tests: one application context (real PostgreSQL and Kafka
 * from {@link Infra#shared()}, a fresh database), a stand-in seed-service registered as a live seed
 * before every test, and plain-HTTP helpers (the shared {@link TestHttp}). Host timeout is 3 s so DOWN can be observed. Loopback
 * callers are in the trusted networks, so that tests can announce made-up addresses (10.x) for peers
 * on other machines, as agents behind NAT would; {@code UntrustedAddressIT} runs without.
 *
 * <p>Requests carry the token a real caller would have (from the real authorization server of
 * {@link Infra#auth()}): a host's own for its registration and heartbeats, an operator's (all roles,
 * bound to host {@code it-operator}) otherwise, unless the test sets its own {@code Authorization}.
 * The tracker itself calls the seed as a viewer client.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=tracker-service",
        "bootswarm.tracker.host-timeout=3s",
        "bootswarm.tracker.sweep-interval=200ms",
        "bootswarm.outbox.poll-interval=200ms",
        // LaunchStatusOutageIT counts retries during a database outage: 200 ms apart, then 400 ms, not up to 5 s
        "bootswarm.tracker.status.outage-retry-max-interval=400ms",
        "resilience4j.timelimiter.instances.seed-service.timeout-duration=500ms",
        "resilience4j.retry.instances.seed-service.wait-duration=50ms",
        // the error-path tests fail on purpose; keep the circuit closed for the others
        "resilience4j.circuitbreaker.instances.seed-service.minimum-number-of-calls=1000",
        "resilience4j.circuitbreaker.instances.seed-service.sliding-window-size=1000",
        "bootswarm.tracker.announce.trusted-networks=127.0.0.0/8,::1/128",
        // every context of the test JVM shares one Kafka: tests that mean to run replicas turn this on
        "bootswarm.tracker.replica.enabled=false",
})
public abstract class TrackerITSupport {

    static {
        // Hikari takes a connection timeout changed at run time (LaunchStatusOutageIT's, for an outage) at its next
        // housekeeping run: every 30 s unless told otherwise, read when the pool is made
        System.setProperty("com.zaxxer.hikari.housekeeping.periodMs", "500");
    }

    protected static final Infra INFRA = Infra.shared();
    protected static final String DATABASE = INFRA.newDatabase("tracker");
    protected static final StandInSeed SEED = StandInSeed.start();
    protected static final int SEED_PEER_PORT = 16881;

    /** The shared test client, with the token {@link #tokenFor} picks for each request. */
    protected final TestHttp http = new TestHttp(() -> this.port,
            (request, body) -> authorized(HttpRequest.newBuilder(request, (n, v) -> true), request.method(),
                    request.uri().getPath(), body));

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
        INFRA.springProperties(DATABASE, KafkaUser.TRACKER).forEach((name, value) -> registry.add(name, () -> value));
        INFRA.clientProperties("tracker", Set.of("viewer"), null).forEach((name, value) -> registry.add(name, () -> value));
        registry.add("bootswarm.tracker.peer-token.key-file", () -> PEER_TOKEN_KEY.toString());
    }

    /** A token of the operator client: every role, bound to host {@code it-operator}. */
    protected static String operatorToken() {
        return INFRA.auth().token("it-operator", Set.of("admin", "orchestrator", "viewer", "seed", "agent"),
                "it-operator");
    }

    /** A token of the client of host {@code host}: role agent, bound to that host. */
    protected static String hostToken(String host) {
        return INFRA.auth().hostToken(host);
    }

    private static final java.util.regex.Pattern HEARTBEAT = java.util.regex.Pattern.compile("/api/v1/hosts/([^/]+)/heartbeat");
    private static final java.util.regex.Pattern NAME = java.util.regex.Pattern.compile("\"name\"\\s*:\\s*\"([^\"]+)\"");

    /** The token the caller of {@code method path} would have: the host's own for its registration and heartbeats. */
    public static String tokenFor(String method, String path, String body) {
        var heartbeat = HEARTBEAT.matcher(path);
        if (method.equals("POST") && heartbeat.matches()) {
            return hostToken(heartbeat.group(1));
        }
        if (method.equals("POST") && path.equals("/api/v1/hosts") && body != null) {
            var name = NAME.matcher(body);
            if (name.find()) {
                return hostToken(name.group(1));
            }
        }
        return operatorToken();
    }

    /** {@code b} with the bearer token {@link #tokenFor} picks, unless it has an Authorization header. */
    public static HttpRequest authorized(HttpRequest.Builder b, String method, String path, String body) {
        HttpRequest r = b.build();
        if (r.headers().firstValue("Authorization").isPresent()) {
            return r;
        }
        return HttpRequest.newBuilder(r, (n, v) -> true)
                .header("Authorization", "Bearer " + tokenFor(method, path, body)).build();
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

    /**
     * Starts a second tracker replica next to the test's context: the same database, Kafka, settings and
     * peer-token key, its own port, and {@code overrides} ({@code name=value}). The caller closes it.
     */
    protected static org.springframework.context.ConfigurableApplicationContext startReplica(String... overrides) {
        Map<String, Object> properties = new java.util.HashMap<>();
        for (String p : TrackerITSupport.class.getAnnotation(SpringBootTest.class).properties()) {
            int eq = p.indexOf('=');
            properties.put(p.substring(0, eq), p.substring(eq + 1));
        }
        properties.putAll(INFRA.springProperties(DATABASE, KafkaUser.TRACKER));
        properties.putAll(INFRA.clientProperties("tracker", Set.of("viewer"), null));
        properties.put("bootswarm.tracker.peer-token.key-file", PEER_TOKEN_KEY.toString());
        properties.put("server.port", "0");
        for (String p : overrides) {
            int eq = p.indexOf('=');
            properties.put(p.substring(0, eq), p.substring(eq + 1));
        }
        return new org.springframework.boot.builder.SpringApplicationBuilder(TrackerServiceApplication.class)
                .run(properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue())
                        .toArray(String[]::new));
    }

    /** A client of {@code replica} (from {@link #startReplica()}) that sends the tokens {@link #tokenFor} picks. */
    protected static TestHttp httpOf(org.springframework.context.ConfigurableApplicationContext replica) {
        int replicaPort = replica.getEnvironment().getRequiredProperty("local.server.port", Integer.class);
        return new TestHttp(() -> replicaPort, (request, body) -> authorized(HttpRequest.newBuilder(request,
                (n, v) -> true), request.method(), request.uri().getPath(), body));
    }

    /** seed-service heartbeats; tests may run longer than the seed TTL. */
    @BeforeEach
    void registerStandInSeed() {
        Response r = post("/api/v1/seeds", """
                {"id": "seed-it", "peerHost": "127.0.0.1", "peerPort": %d, "apiUrl": "%s"}"""
                .formatted(SEED_PEER_PORT, SEED.url()));
        assertThat(r.status()).isEqualTo(204);
    }

    /** 20 random bytes in hex: a swarm id or peer id no other test uses. */
    protected static String randomHex() {
        byte[] b = new byte[20];
        ThreadLocalRandom.current().nextBytes(b);
        return java.util.HexFormat.of().formatHex(b);
    }

    /** Every byte as %XX, as the harshest BitTorrent client would send it in a query. */
    protected static String escape(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02x", b & 0xff));
        }
        return sb.toString();
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

    protected URI uri(String pathAndQuery) {
        return http.uri(pathAndQuery);
    }

    protected Response post(String path, String json, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json));
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return http.sendAsIs(authorized(b, "POST", path, json));
    }

    protected Response get(String path) {
        return http.get(path);
    }

    protected Response delete(String path) {
        return http.delete(path);
    }

    /** Sends {@code request} with the token {@link #tokenFor} picks, unless it has an Authorization header. */
    protected Response send(HttpRequest request) {
        return http.send(request);
    }

    /** Sends {@code request} with the headers it has: without a token when it names none. */
    protected Response sendAsIs(HttpRequest request) {
        return http.sendAsIs(request);
    }

    protected HttpResponse<byte[]> getBytes(String pathAndQuery) {
        return http.getBytes(pathAndQuery);
    }

    /** Asserts an RFC 9457 problem body of the given status and bootswarm slug. */
    protected static void assertProblem(Response r, int status, String slug) {
        TestHttp.assertProblem(r, status, slug);
    }

    protected static UUID uuid(String s) {
        return UUID.fromString(s);
    }
}
