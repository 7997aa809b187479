package io.bootswarm.common.remote;

import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
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
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@link RemoteReplicas}: which replica each call goes to, when it moves on and that it stays there, what
 * is an answer rather than a failure, and the list of base URLs a setting holds.
 */
class RemoteReplicasTest {

    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
            .slidingWindowSize(100).minimumNumberOfCalls(100).build());
    private final RetryRegistry retries =
            RetryRegistry.of(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(10)).build());
    private final TimeLimiterRegistry limiters =
            TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(30)).build());
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    /** A replica that answers {@code GET /x} with {@link #status} and its URL, counting requests. */
    private final class Stub implements AutoCloseable {
        final AtomicInteger requests = new AtomicInteger();
        volatile int status = 200;
        final HttpServer server;
        final String url;

        Stub() throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            url = "http://127.0.0.1:" + server.getAddress().getPort();
            server.createContext("/x", x -> {
                requests.incrementAndGet();
                byte[] body = url.getBytes(StandardCharsets.UTF_8);
                x.sendResponseHeaders(status, body.length);
                x.getResponseBody().write(body);
                x.close();
            });
            server.start();
            closing.add(this);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A base URL where nothing listens: connections are refused. */
    private static String refusing() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "http://127.0.0.1:" + s.getLocalPort();
        }
    }

    private RemoteReplicas replicas(String... urls) {
        RemoteReplicas r = RemoteReplicas.of("svc", List.of(urls), RestClient.builder(), retries, breakers, limiters,
                meters);
        closing.add(r);
        return r;
    }

    private static String get(RemoteReplicas r) throws RemoteCallException {
        return r.call(c -> c.get().uri("/x").retrieve().body(String.class));
    }

    private CircuitBreaker breaker(String url) {
        return breakers.circuitBreaker("svc@" + url);
    }

    private double failovers() {
        return meters.get("bootswarm.remote.replica.failovers").tag("service", "svc").counter().count();
    }

    private double current(String url) {
        return meters.get("bootswarm.remote.replica.current").tag("service", "svc").tag("url", url).gauge().value();
    }

    @Test
    void aFirstReplicaRefusingConnectionsIsLeftForTheSecondWhichCallsThenStayOn() throws Exception {
        String down = refusing();
        Stub up = new Stub();
        RemoteReplicas r = replicas(down, up.url);
        assertThat(r.current()).isEqualTo(down);

        for (int i = 0; i < 5; i++) {
            assertThat(get(r)).isEqualTo(up.url);
        }

        assertThat(up.requests).as("requests at the second replica").hasValue(5);
        assertThat(breaker(down).getMetrics().getNumberOfFailedCalls())
                .as("attempts at the refusing replica: only the first call tried it, once").isEqualTo(1);
        assertThat(r.current()).isEqualTo(up.url);
        assertThat(failovers()).isEqualTo(1);
        assertThat(current(up.url)).isEqualTo(1);
        assertThat(current(down)).isZero();
    }

    @Test
    void aServerErrorMovesOnAndTheCallsStayWhereTheyWentUntilThatReplicaFailsInTurn() throws Exception {
        Stub a = new Stub();
        Stub b = new Stub();
        RemoteReplicas r = replicas(a.url, b.url);
        a.status = 503;

        assertThat(get(r)).isEqualTo(b.url);
        a.status = 200;
        assertThat(get(r)).as("back on its feet, the first replica is not returned to").isEqualTo(b.url);
        assertThat(get(r)).isEqualTo(b.url);
        assertThat(a.requests).as("requests at the first replica: the one that failed, not retried").hasValue(1);
        assertThat(b.requests).hasValue(3);

        b.status = 500;
        assertThat(get(r)).isEqualTo(a.url);
        assertThat(get(r)).isEqualTo(a.url);
        assertThat(a.requests).hasValue(3);
        assertThat(b.requests).hasValue(4);
        assertThat(failovers()).isEqualTo(2);
        assertThat(r.current()).isEqualTo(a.url);
    }

    @Test
    void aClientErrorIsAnAnswerNotAFailure() throws Exception {
        Stub a = new Stub();
        Stub b = new Stub();
        a.status = 404;
        RemoteReplicas r = replicas(a.url, b.url);

        RemoteCallException e = catchThrowableOfType(RemoteCallException.class, () -> get(r));

        assertThat(e.status()).isEqualTo(404);
        assertThat(e).hasMessage("svc at " + a.url + " refused the request: 404 Not Found");
        assertThat(a.requests).hasValue(1);
        assertThat(b.requests).hasValue(0);
        assertThat(r.current()).isEqualTo(a.url);
        assertThat(failovers()).isZero();
        assertThat(breaker(a.url).getMetrics().getNumberOfFailedCalls()).isZero();
    }

    @Test
    void withEveryReplicaDownTheErrorNamesEachAfterTheRoundsAreRetried() throws Exception {
        String a = refusing();
        String b = refusing();
        RemoteReplicas r = replicas(a, b);

        RemoteCallException e = catchThrowableOfType(RemoteCallException.class, () -> get(r));

        assertThat(e.status()).isZero();
        assertThat(e.turnedAway()).isFalse();
        assertThat(e.getMessage()).startsWith("no replica of svc answered (" + a + ", " + b + "): ")
                .contains("svc at " + a + " is unreachable: ConnectException",
                        "svc at " + b + " is unreachable: ConnectException");
        assertThat(e.getSuppressed()).hasSize(2);
        assertThat(breaker(a).getMetrics().getNumberOfFailedCalls()).as("rounds: the retry's 3 attempts").isEqualTo(3);
        assertThat(breaker(b).getMetrics().getNumberOfFailedCalls()).isEqualTo(3);
        assertThat(r.current()).isEqualTo(a);
        assertThat(failovers()).isZero();
    }

    @Test
    void everyBreakerOpenTurnsTheCallAwayWithoutARequestOrRetry() throws Exception {
        Stub a = new Stub();
        Stub b = new Stub();
        RemoteReplicas r = replicas(a.url, b.url);
        breaker(a.url).transitionToOpenState();

        assertThat(get(r)).as("the first one's breaker open").isEqualTo(b.url);
        breaker(b.url).transitionToOpenState();
        RemoteCallException e = catchThrowableOfType(RemoteCallException.class, () -> get(r));

        assertThat(e.turnedAway()).isTrue();
        assertThat(e.getMessage()).contains("svc at " + a.url + " circuit breaker is open",
                "svc at " + b.url + " circuit breaker is open");
        assertThat(a.requests).hasValue(0);
        assertThat(b.requests).hasValue(1);
        assertThat(breaker(a.url).getMetrics().getNumberOfNotPermittedCalls()).isEqualTo(2);
        assertThat(breaker(b.url).getMetrics().getNumberOfNotPermittedCalls()).as("not repeated").isEqualTo(1);
    }

    @Test
    void aSingleUrlIsARemoteCallThroughTheInstancesNamedAfterTheService() throws Exception {
        Stub a = new Stub();
        RemoteReplicas r = replicas(a.url);
        a.status = 503;

        RemoteCallException e = catchThrowableOfType(RemoteCallException.class, () -> get(r));

        assertThat(e).hasMessage("svc at " + a.url + " answered 503 Service Unavailable");
        assertThat(a.requests).as("the retry's attempts").hasValue(3);
        assertThat(breakers.circuitBreaker("svc").getMetrics().getNumberOfFailedCalls()).isEqualTo(3);
        assertThat(breakers.find("svc@" + a.url)).isEmpty();
        assertThat(current(a.url)).isEqualTo(1);
    }

    @Test
    void baseUrlsAreACommaSeparatedListOfHttpUrls() {
        assertThat(RemoteReplicas.baseUrls("x.url", "http://tracker:8080")).containsExactly("http://tracker:8080");
        assertThat(RemoteReplicas.baseUrls("x.url", " http://tracker-1:8080/ ,https://tracker-2.example/api/"))
                .containsExactly("http://tracker-1:8080", "https://tracker-2.example/api");
        assertThat(RemoteReplicas.baseUrls("x.url", "http://[::1]:8080,http://10.0.0.2:8080"))
                .containsExactly("http://[::1]:8080", "http://10.0.0.2:8080");
    }

    @Test
    void aMalformedBaseUrlIsNamedWithTheSetting() {
        assertThatThrownBy(() -> RemoteReplicas.baseUrls("x.url", "http://a:8080,tracker-2:8080"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("x.url must be a comma-separated list of http(s) base URLs (e.g. "
                        + "http://tracker-1:8080,http://tracker-2:8080); 'tracker-2:8080' in "
                        + "'http://a:8080,tracker-2:8080' is not an http or https URL");
        assertThatThrownBy(() -> RemoteReplicas.baseUrls("x.url", "http://a:8080,,http://b:8080"))
                .hasMessageEndingWith("'' in 'http://a:8080,,http://b:8080' is empty");
        assertThatThrownBy(() -> RemoteReplicas.baseUrls("x.url", "http://a:80x"))
                .hasMessageContaining("'http://a:80x'").hasMessageContaining("has no host");
        assertThatThrownBy(() -> RemoteReplicas.baseUrls("x.url", "http://a b:80"))
                .hasMessageContaining("is not a URL");
        assertThatThrownBy(() -> RemoteReplicas.baseUrls("x.url", "http://a:80?x=1"))
                .hasMessageContaining("has a query or fragment");
        assertThatThrownBy(() -> RemoteReplicas.baseUrls("x.url", "http://a:80,http://a:80/"))
                .hasMessage("x.url lists http://a:80 twice: 'http://a:80,http://a:80/'");
    }
}
