package io.bootswarm.agent.tracker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bootswarm.common.remote.RemoteCall;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.time.Duration;
import java.time.InstantSource;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * tracker-service played by a JDK HTTP server: every request is recorded (method, path, body), and
 * answered by a function of the request the test sets; unset, {@code 200 {}}.
 */
final class StubTracker implements AutoCloseable {

    record Request(String method, String path, String body) {
    }

    record Response(int status, String json) {
        static Response ok(String json) {
            return new Response(200, json);
        }
    }

    final List<Request> requests = new CopyOnWriteArrayList<>();
    volatile Function<Request, Response> answer = r -> Response.ok("{}");
    private final HttpServer server;
    private final ExecutorService handlers = Executors.newCachedThreadPool(Thread.ofPlatform().daemon().factory());

    StubTracker() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.setExecutor(handlers); // an answer may block without holding up the others
        server.start();
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            Request r = new Request(exchange.getRequestMethod(), exchange.getRequestURI().toString(),
                    new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            requests.add(r);
            Response answer = this.answer.apply(r);
            byte[] body = answer.json().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
            exchange.getResponseBody().write(body);
        }
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<String> paths() {
        return requests.stream().map(r -> r.method() + " " + r.path()).toList();
    }

    /**
     * A client of this tracker as the agent makes one, advertising {@code 10.0.0.7}; one attempt per call,
     * with time enough for a first call on a loaded machine.
     */
    TrackerClient client() {
        return new TrackerClient(RestClient.builder().baseUrl(url()).build(), url(),
                remoteCall(CircuitBreakerRegistry.ofDefaults()), "10.0.0.7");
    }

    /**
     * A client as {@link #client()}, but whose calls go through the circuit breaker {@code breakers} makes
     * for {@code tracker}, and whose launch calls wait out its open period for {@code breakerWait} on {@code clock}.
     */
    TrackerClient client(CircuitBreakerRegistry breakers, Duration breakerWait, InstantSource clock,
                         MeterRegistry meters) {
        return new TrackerClient(RestClient.builder().baseUrl(url()).build(), url(), remoteCall(breakers), "10.0.0.7",
                breakerWait, clock, meters);
    }

    private static RemoteCall remoteCall(CircuitBreakerRegistry breakers) {
        RetryRegistry retries = RetryRegistry.of(RetryConfig.custom().maxAttempts(1).build());
        TimeLimiterRegistry limiters = TimeLimiterRegistry.of(TimeLimiterConfig.custom()
                .timeoutDuration(Duration.ofSeconds(30)).build());
        return RemoteCall.of("tracker", retries, breakers, limiters);
    }

    @Override
    public void close() {
        server.stop(0);
        handlers.shutdownNow();
    }
}
