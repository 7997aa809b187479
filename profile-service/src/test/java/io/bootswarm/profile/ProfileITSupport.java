package io.bootswarm.profile;

import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.testing.StandInSeed;
import io.bootswarm.testing.TestHttp;
import io.bootswarm.testing.TestHttp.Response;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Map;
import java.util.Set;

/**
 * Base of profile-service's integration tests: one application context (real PostgreSQL and Kafka
 * from {@link Infra#shared()}, a fresh database), a stand-in seed-service, and plain-HTTP helpers (the shared {@link TestHttp}).
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

    /** The shared test client, with the operator's token unless a request names its own. */
    protected final TestHttp http = new TestHttp(() -> this.port, (request, body) -> Tokens.authorized(request));

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

    protected long count(String table) {
        return jdbc.queryForObject("select count(*) from profile." + table, Long.class);
    }

    /** Row counts of every table. */
    protected Map<String, Long> rows() {
        return Map.of("profile", count("profile"), "profile_piece", count("profile_piece"),
                "profile_run", count("profile_run"), "trace_chunk", count("trace_chunk"));
    }

    protected URI uri(String pathAndQuery) {
        return http.uri(pathAndQuery);
    }

    protected Response get(String path) {
        return http.get(path);
    }

    protected Response delete(String path) {
        return http.delete(path);
    }

    protected Response postCsv(String path, byte[] body) {
        return http.post(path, "text/csv", body);
    }

    /** Sends {@code request} with the operator's token unless it has an Authorization header. */
    protected Response send(HttpRequest request) {
        return http.send(request);
    }

    /** Asserts an RFC 9457 problem body of the given status and bootswarm slug. */
    protected static void assertProblem(Response r, int status, String slug) {
        TestHttp.assertProblem(r, status, slug);
    }
}
