package io.bootswarm.profile;

import io.bootswarm.infra.kafka.KafkaUser;
import com.jayway.jsonpath.JsonPath;
import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.Tokens;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ConfigurableApplicationContext;
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
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Base of profile-service's integration tests: one application context (real PostgreSQL and Kafka
 * from {@link Infra#shared()}, a fresh database), a stand-in seed-service, and plain-HTTP helpers.
 * Uploads are limited to 256 KB (the Debian trace is 42 KB) so an oversize body is quick to send;
 * incomplete Kafka traces are purged after 4 s, checked every 500 ms.
 *
 * <p>Tokens come from the real authorization server of {@link Infra#auth()}: requests carry the
 * operator's (every role) unless the test sets its own {@code Authorization}; the service itself
 * reads images from the seed as a viewer client ({@code profile}).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=profile-service",
        "bootswarm.profile.max-upload-size=256KB",
        "bootswarm.profile.pending-trace-max-age=4s",
        "bootswarm.profile.housekeeping-interval=500ms",
        "resilience4j.timelimiter.instances.seed-service.timeout-duration=1s",
        "resilience4j.retry.instances.seed-service.wait-duration=50ms",
        // the error-path tests fail on purpose; keep the circuit closed for the others
        "resilience4j.circuitbreaker.instances.seed-service.minimum-number-of-calls=1000",
        "resilience4j.circuitbreaker.instances.seed-service.sliding-window-size=1000",
})
public abstract class ProfileITSupport {

    protected static final Infra INFRA = Infra.shared();
    protected static final String DATABASE = INFRA.newDatabase("profile");
    protected static final StandInSeed SEED = StandInSeed.start();

    protected final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        INFRA.springProperties(DATABASE, KafkaUser.PROFILE).forEach((name, value) -> registry.add(name, () -> value));
        INFRA.clientProperties("profile", Set.of("viewer"), null).forEach((name, value) -> registry.add(name, () -> value));
        registry.add("bootswarm.profile.seed-url", SEED::url);
    }

    /** The Kafka listener and housekeeping must stop before the shared infrastructure does. */
    @Autowired
    void closeAtSessionEnd(ConfigurableApplicationContext context) {
        CloseContextsAtSessionEnd.register(context);
    }

    protected long count(String table) {
        return jdbc.queryForObject("select count(*) from profile." + table, Long.class);
    }

    /** Row counts of every table. */
    protected Map<String, Long> rows() {
        return Map.of("profile", count("profile"), "profile_piece", count("profile_piece"),
                "profile_run", count("profile_run"), "trace_chunk", count("trace_chunk"));
    }

    /** An HTTP response with its body parsed on demand. */
    public record Response(int status, Map<String, List<String>> headers, String body) {
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

    protected Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    protected Response delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE().build());
    }

    protected Response postCsv(String path, byte[] body) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    /** Sends {@code request} with the operator's token unless it has an Authorization header. */
    protected Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(Tokens.authorized(request), HttpResponse.BodyHandlers.ofString());
            return new Response(r.statusCode(), r.headers().map(), r.body());
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
        assertThat(r.header("Content-Type")).as(r.body()).startsWith("application/problem+json");
        assertThat(r.<String>json("$.type")).isEqualTo("urn:bootswarm:problem:" + slug);
        assertThat(r.<Integer>json("$.status")).isEqualTo(status);
        assertThat(r.<String>json("$.detail")).isNotBlank();
    }
}
