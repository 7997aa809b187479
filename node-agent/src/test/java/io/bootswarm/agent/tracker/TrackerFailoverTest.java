package io.bootswarm.agent.tracker;

import io.bootswarm.common.remote.RemoteCallException;
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
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The agent configured with two tracker replicas and no load balancer: when the first is gone, its calls
 * (registration, heartbeats, the launch's seed lookup, announces) go to the second and stay there; a 404
 * of the current replica is an answer.
 */
class TrackerFailoverTest {

    final StubTracker first;
    final StubTracker second;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final TrackerClient client;

    TrackerFailoverTest() throws IOException {
        first = new StubTracker();
        second = new StubTracker();
        RemoteReplicas replicas = RemoteReplicas.of("tracker", List.of(first.url(), second.url()),
                RestClient.builder(), RetryRegistry.of(RetryConfig.custom().maxAttempts(2)
                        .waitDuration(Duration.ofMillis(10)).build()), CircuitBreakerRegistry.ofDefaults(),
                TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(30)).build()),
                meters);
        client = new TrackerClient(replicas, "10.0.0.7", Duration.ofSeconds(15), new ManualClock(), meters);
    }

    @AfterEach
    void close() {
        client.close();
        first.close();
        second.close();
    }

    private double failovers() {
        return meters.get("bootswarm.remote.replica.failovers").tag("service", "tracker").counter().count();
    }

    @Test
    void withTheFirstReplicaGoneEveryCallGoesToTheSecondAndStaysThere() throws IOException {
        client.register("h1", "http://10.0.0.7:8082", 6881);
        assertThat(first.paths()).containsExactly("POST /api/v1/hosts");
        first.close();
        second.answer = r -> r.path().equals("/api/v1/seeds")
                ? StubTracker.Response.ok("[{\"id\": \"s\", \"peerHost\": \"10.0.0.9\", \"peerPort\": 6881, "
                + "\"apiUrl\": \"http://10.0.0.9:8081\"}]")
                : StubTracker.Response.ok("{}");

        assertThat(client.heartbeat("h1")).isTrue();
        assertThat(client.seedsForLaunch()).extracting(TrackerClient.SeedInfo::apiUrl)
                .containsExactly("http://10.0.0.9:8081");
        assertThat(client.heartbeat("h1")).isTrue();

        assertThat(first.paths()).as("the first replica, gone after the registration").hasSize(1);
        assertThat(second.paths()).containsExactly("POST /api/v1/hosts/h1/heartbeat", "GET /api/v1/seeds",
                "POST /api/v1/hosts/h1/heartbeat");
        assertThat(failovers()).isEqualTo(1);
        assertThat(meters.get("bootswarm.remote.replica.current").tag("url", second.url()).gauge().value())
                .isEqualTo(1);
    }

    @Test
    void aHostUnknownToTheCurrentReplicaIsAnAnswerNotAFailover() throws IOException {
        first.answer = r -> new StubTracker.Response(404, "{}");

        assertThat(client.heartbeat("h1")).as("registered again, not asked elsewhere").isFalse();

        assertThat(first.paths()).containsExactly("POST /api/v1/hosts/h1/heartbeat");
        assertThat(second.paths()).isEmpty();
        assertThat(failovers()).isZero();
    }

    @Test
    void withBothReplicasFailingTheErrorNamesBoth() {
        first.answer = r -> new StubTracker.Response(503, "{}");
        second.answer = r -> new StubTracker.Response(502, "{}");

        RemoteCallException e = catchThrowableOfType(RemoteCallException.class, client::seeds);

        assertThat(e.getMessage()).contains("tracker at " + first.url() + " answered 503",
                "tracker at " + second.url() + " answered 502");
        assertThat(first.paths()).as("two rounds, one request each").hasSize(2);
        assertThat(second.paths()).hasSize(2);
    }
}
