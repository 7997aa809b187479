package io.bootswarm.tracker.launch;

import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.Infra;
import io.bootswarm.testing.TestHttp;
import io.bootswarm.testing.TestHttp.Response;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpRequest;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No seed has registered and the configured seed URL points at a closed port: launches are 503
 * problems that create nothing, and after enough failures the circuit breaker opens and answers
 * without calling.
 */
@DirtiesContext // its own context; close it when done, while Kafka and PostgreSQL still run
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=tracker-service",
        // the JVM's test contexts share one Kafka: with replication on, seeds other tests registered would be
        // replayed here and answer where this test needs no seed-service reachable
        "bootswarm.tracker.replica.enabled=false",
        "resilience4j.retry.instances.seed-service.wait-duration=20ms",
        "resilience4j.circuitbreaker.instances.seed-service.minimum-number-of-calls=4",
        "resilience4j.circuitbreaker.instances.seed-service.sliding-window-size=4",
        "resilience4j.circuitbreaker.instances.seed-service.wait-duration-in-open-state=1m",
})
class SeedUnreachableIT {

    private static final Infra INFRA = Infra.shared();
    private static final String DATABASE = INFRA.newDatabase("tracker_noseed");
    private static final int CLOSED_PORT = closedPort();

    private final TestHttp http = new TestHttp(() -> this.port, (request, body) -> io.bootswarm.tracker.TrackerITSupport
            .authorized(HttpRequest.newBuilder(request, (n, v) -> true), request.method(), request.uri().getPath(), body));

    @LocalServerPort
    int port;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    CircuitBreakerRegistry circuitBreakers;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRA.springProperties(DATABASE, KafkaUser.TRACKER).forEach((name, value) -> registry.add(name, () -> value));
        INFRA.clientProperties("tracker", java.util.Set.of("viewer"), null).forEach((name, value) -> registry.add(name, () -> value));
        registry.add("bootswarm.tracker.seed-url", () -> "http://127.0.0.1:" + CLOSED_PORT);
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Response post(String path, String json) {
        return http.postJson(path, json);
    }

    private long rows() {
        return jdbc.queryForObject("select (select count(*) from tracker.launches) + (select count(*) from "
                + "tracker.launch_hosts) + (select count(*) from tracker.outbox)", Long.class);
    }

    @Test
    void unreachableSeedServiceIsUnavailableAndTheCircuitOpens() throws Exception {
        assertThat(post("/api/v1/hosts", """
                {"name": "nohost", "apiUrl": "http://127.0.0.1:1", "peerHost": "127.0.0.1", "peerPort": 6882}""")
                .status()).isEqualTo(200);
        String request = """
                {"imageId": "%s", "hosts": ["nohost"]}""".formatted(UUID.randomUUID());

        Response first = post("/api/v1/launches", request);
        assertThat(first.status()).as(first.body()).isEqualTo(503);
        assertThat(first.<String>json("$.type")).isEqualTo("urn:bootswarm:problem:seed-unavailable");
        assertThat(first.<String>json("$.detail")).contains("unreachable", "127.0.0.1:" + CLOSED_PORT, "ConnectException");
        assertThat(rows()).isZero();

        // the seed URL's own breaker, configured as the one named seed-service
        CircuitBreaker breaker = circuitBreakers.circuitBreaker("seed-service@http://127.0.0.1:" + CLOSED_PORT);
        // first request: 3 attempts recorded as failures; the fourth failure opens the circuit
        assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(3);
        post("/api/v1/launches", request);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);

        long rejected = breaker.getMetrics().getNumberOfNotPermittedCalls();
        Response open = post("/api/v1/launches", request);
        assertThat(open.status()).isEqualTo(503);
        assertThat(open.<String>json("$.detail")).contains("circuit breaker is open");
        // one call, rejected by the open circuit, and not retried
        assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).isEqualTo(rejected + 1);
        assertThat(rows()).isZero();
    }
}
