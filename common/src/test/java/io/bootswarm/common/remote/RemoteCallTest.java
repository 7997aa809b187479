package io.bootswarm.common.remote;

import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.web.client.HttpClientErrorException;
import org.springframework.web.client.HttpServerErrorException;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * {@link RemoteCall}: what is retried and what the circuit breaker counts, and the one exception
 * type callers see, whatever went wrong.
 */
class RemoteCallTest {

    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
            .slidingWindowSize(100).minimumNumberOfCalls(100).build());
    private final RetryRegistry retries =
            RetryRegistry.of(RetryConfig.custom().maxAttempts(3).waitDuration(Duration.ofMillis(10)).build());
    /** A time limit no answer of these tests comes near, however loaded the machine; see {@link #impatient}. */
    private final RemoteCall remote = RemoteCall.of("svc", retries, breakers,
            TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(30)).build()));
    /** For attempts that never answer: cut off after 200 ms. */
    private final RemoteCall impatient = RemoteCall.of("svc", retries, breakers,
            TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofMillis(200)).build()));
    private final CircuitBreaker breaker = breakers.circuitBreaker("svc");
    private final AtomicInteger attempts = new AtomicInteger();
    /** An answer that never comes: an attempt waiting on it hangs until it is interrupted. */
    private final CountDownLatch never = new CountDownLatch(1);
    private HttpServer server;

    @AfterEach
    void close() {
        never.countDown();
        remote.close();
        impatient.close();
        if (server != null) {
            server.stop(0);
        }
    }

    private <T> Callable<T> counted(Callable<T> request) {
        return () -> {
            attempts.incrementAndGet();
            return request.call();
        };
    }

    private RemoteCallException failing(Callable<?> request) {
        return failing(remote, request);
    }

    private RemoteCallException failing(RemoteCall call, Callable<?> request) {
        return catchThrowableOfType(RemoteCallException.class, () -> call.call("http://svc:1", counted(request)));
    }

    @Test
    void aResultComesBackFromOneAttempt() throws Exception {
        assertThat(remote.call("http://svc:1", counted(() -> "ok"))).isEqualTo("ok");
        assertThat(attempts).hasValue(1);
        assertThat(breaker.getMetrics().getNumberOfSuccessfulCalls()).isEqualTo(1);
        assertThat(remote.name()).isEqualTo("svc");
    }

    @Test
    void aRefusalIsNeitherRetriedNorAFailure() {
        RemoteCallException e = failing(() -> {
            throw HttpClientErrorException.create(HttpStatus.NOT_FOUND, "Not Found", null, null, null);
        });
        assertThat(e.status()).isEqualTo(404);
        assertThat(e).hasMessage("svc at http://svc:1 refused the request: 404 Not Found");
        assertThat(attempts).hasValue(1);
        assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
    }

    @Test
    void serverErrorsAreRetriedAndCountedAsFailures() {
        RemoteCallException e = failing(() -> {
            throw HttpServerErrorException.create(HttpStatus.SERVICE_UNAVAILABLE, "Service Unavailable", null, null,
                    null);
        });
        assertThat(e).hasMessage("svc at http://svc:1 answered 503 Service Unavailable");
        assertThat(e.status()).isZero();
        assertThat(attempts).hasValue(3);
        assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(3);
    }

    @Test
    void anUnreachableServiceIsNamedWithTheIoError() {
        RemoteCallException e = failing(() -> {
            throw new ResourceAccessException("I/O error on GET", new ConnectException("Connection refused"));
        });
        assertThat(e).isInstanceOf(IOException.class)
                .hasMessage("svc at http://svc:1 is unreachable: ConnectException: Connection refused");
        assertThat(attempts).hasValue(3);
    }

    @Test
    void anyOtherExceptionIsAFailureToo() {
        RemoteCallException e = failing(() -> {
            throw new IllegalStateException("no body");
        });
        assertThat(e).hasMessage("svc at http://svc:1 failed: IllegalStateException: no body")
                .hasCauseInstanceOf(IllegalStateException.class);
        assertThat(attempts).hasValue(3);
    }

    @Test
    void aSlowAttemptIsCutOffAndInterrupted() {
        CountDownLatch interrupted = new CountDownLatch(3);
        RemoteCallException e = failing(impatient, () -> {
            try {
                never.await();
            } catch (InterruptedException x) {
                interrupted.countDown();
            }
            return "late";
        });
        assertThat(e).hasMessage("svc at http://svc:1 did not answer within 200 ms");
        assertThat(attempts).hasValue(3);
        assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isEqualTo(3);
        assertThat(awaitQuietly(interrupted)).as("every attempt's thread interrupted").isTrue();
    }

    @Test
    void anOpenCircuitTurnsTheCallAwayWithoutRetryingIt() {
        breaker.transitionToOpenState();
        RemoteCallException e = failing(() -> "never");
        assertThat(e).hasMessage("svc circuit breaker is open after repeated failures");
        assertThat(attempts).hasValue(0);
        assertThat(breaker.getMetrics().getNumberOfNotPermittedCalls()).isEqualTo(1);
    }

    @Test
    void anInterruptedCallerGetsNoResultAndKeepsItsInterrupt() {
        Thread.currentThread().interrupt();
        try {
            RemoteCallException e = failing(() -> {
                never.await();
                return "late";
            });
            assertThat(e).hasMessage("call to svc at http://svc:1 interrupted");
            assertThat(attempts.get()).isLessThanOrEqualTo(1);
            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            assertThat(breaker.getMetrics().getNumberOfFailedCalls()).isZero();
        } finally {
            Thread.interrupted();
        }
    }

    @Test
    void restClientAnswersOverHttpAreMappedTheSameWay() throws Exception {
        AtomicInteger broken = new AtomicInteger();
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/missing", x -> {
            x.sendResponseHeaders(404, -1);
            x.close();
        });
        server.createContext("/broken", x -> {
            broken.incrementAndGet();
            x.sendResponseHeaders(500, -1);
            x.close();
        });
        server.createContext("/fine", x -> {
            byte[] body = "fine".getBytes();
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        String base = "http://127.0.0.1:" + server.getAddress().getPort();
        RestClient http = RestClient.create(base);

        assertThat(remote.call(base, () -> http.get().uri("/fine").retrieve().body(String.class))).isEqualTo("fine");
        assertThatThrownBy(() -> remote.call(base, () -> http.get().uri("/missing").retrieve().body(String.class)))
                .isInstanceOfSatisfying(RemoteCallException.class, e -> assertThat(e.status()).isEqualTo(404));
        assertThatThrownBy(() -> remote.call(base, () -> http.get().uri("/broken").retrieve().body(String.class)))
                .hasMessage("svc at " + base + " answered 500 Internal Server Error");
        assertThat(broken).hasValue(3);
    }

    private static boolean awaitQuietly(CountDownLatch latch) {
        try {
            return latch.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
