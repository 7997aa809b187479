package io.bootswarm.common.remote;

import org.jspecify.annotations.Nullable;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import org.springframework.web.client.ResourceAccessException;
import org.springframework.web.client.RestClientResponseException;

import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeoutException;

/**
 * Calls to one other service through the resilience4j instances named after it (configured under
 * {@code resilience4j.*} in the caller's configuration): a retry with backoff around a circuit
 * breaker around a time limiter, each attempt on a virtual thread of its own that is interrupted when
 * the time limiter gives up on it.
 *
 * <p>Every outcome but a result is a {@link RemoteCallException}. A 4xx answer
 * ({@link RestClientResponseException}) is the service refusing this request, not failing: it is not
 * retried and the circuit breaker counts it as a success; its status is
 * {@link RemoteCallException#status()}. A call the open circuit breaker turns away is not retried
 * either. Anything else the request throws (5xx, I/O errors, time-outs, unreadable bodies) is a
 * failure, retried and counted.
 */
public final class RemoteCall implements AutoCloseable {

    private final String name;
    private final String label;
    private final Retry retry;
    private final CircuitBreaker breaker;
    private final TimeLimiter limiter;
    private final ExecutorService attempts;

    private RemoteCall(String name, String label, Retry retry, CircuitBreaker breaker, TimeLimiter limiter) {
        this.name = name;
        this.label = label;
        this.retry = retry;
        this.breaker = breaker;
        this.limiter = limiter;
        this.attempts = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("remote-" + name + "-", 0).factory());
    }

    /** Calls through the retry, circuit breaker and time limiter instances named {@code name}. */
    public static RemoteCall of(String name, RetryRegistry retries, CircuitBreakerRegistry breakers,
                                TimeLimiterRegistry limiters) {
        return new RemoteCall(name, name, retries.retry(name), breakers.circuitBreaker(name), limiters.timeLimiter(name));
    }

    /**
     * Calls to one replica of a service, through the instances named {@code name} (which must exist),
     * named {@code label} (the service's name) and where it was called in messages.
     */
    static RemoteCall replica(String name, String label, RetryRegistry retries, CircuitBreakerRegistry breakers,
                              TimeLimiterRegistry limiters) {
        return new RemoteCall(name, label, retries.retry(name), breakers.circuitBreaker(name),
                limiters.timeLimiter(name));
    }

    /** The service's name, which is also that of its resilience4j instances. */
    public String name() {
        return name;
    }

    /**
     * Runs {@code request} (typically one {@code RestClient} exchange) until it returns, is refused,
     * or the retry gives up.
     *
     * @param target where the request goes (the service's base URL), for messages
     * @throws RemoteCallException when there is no result; the caller's interrupt flag is kept
     */
    public <T extends @Nullable Object> T call(String target, Callable<T> request) throws RemoteCallException {
        String where = label + " at " + target;
        Attempt<T> outcome;
        try {
            outcome = retry.executeCallable(() -> attempt(where, request));
        } catch (Exception e) {
            throw failure(where, e);
        }
        RemoteCallException refusal = outcome.refusal();
        if (refusal != null) {
            throw refusal;
        }
        return outcome.result();
    }

    /** What an attempt that neither failed nor is to be repeated came to: a value, or why there is none. */
    private record Attempt<T extends @Nullable Object>(@Nullable T value, @Nullable RemoteCallException refusal) {

        /** The request's result, which is {@code value} (of type T, so null only where T allows) when not refused. */
        @SuppressWarnings("NullAway")
        T result() {
            return value;
        }
    }

    private <T extends @Nullable Object> Attempt<T> attempt(String where, Callable<T> request) throws Exception {
        try {
            return breaker.executeCallable(() -> {
                try {
                    return new Attempt<>(limiter.executeFutureSupplier(() -> attempts.submit(request)), null);
                } catch (RestClientResponseException e) {
                    if (!e.getStatusCode().is4xxClientError()) {
                        throw e;
                    }
                    return new Attempt<>(null, new RemoteCallException(where + " refused the request: "
                            + e.getStatusCode().value() + " " + e.getStatusText(), e, e.getStatusCode().value()));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return new Attempt<>(null, new RemoteCallException("call to " + where + " interrupted", e, 0));
                }
            });
        } catch (CallNotPermittedException e) {
            return new Attempt<>(null, new RemoteCallException((label.equals(name) ? name : where)
                    + " circuit breaker is open after repeated failures", e, 0));
        }
    }

    private RemoteCallException failure(String where, Exception e) {
        return switch (e) {
            case TimeoutException t -> new RemoteCallException(where + " did not answer within "
                    + limiter.getTimeLimiterConfig().getTimeoutDuration().toMillis() + " ms", t, 0);
            case RestClientResponseException r -> new RemoteCallException(where + " answered "
                    + r.getStatusCode().value() + " " + r.getStatusText(), r, 0);
            case ResourceAccessException r -> new RemoteCallException(where + " is unreachable: " + describe(r), r, 0);
            default -> new RemoteCallException(where + " failed: " + describe(e), e, 0);
        };
    }

    /** The first I/O exception in the chain (else the innermost cause), by class name and message. */
    private static String describe(Throwable t) {
        Throwable pick = t;
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            pick = c;
            if (c instanceof IOException) {
                break;
            }
        }
        String type = pick.getClass().getSimpleName();
        return pick.getMessage() == null ? type : type + ": " + pick.getMessage();
    }

    @Override
    public void close() {
        attempts.shutdownNow();
    }
}
