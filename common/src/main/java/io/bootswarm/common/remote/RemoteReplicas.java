package io.bootswarm.common.remote;

import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.web.client.RestClient;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * Calls to a service that runs as several replicas, each at a base URL of its own, for clients with no
 * load balancer in front of them (docker compose, bare hosts): every call goes to the current replica;
 * when it fails there (unreachable, a time-out, a 5xx, its circuit breaker open) it goes on to the next
 * one in the list, round to the first, and the first that answers becomes the current one, kept until it
 * fails in turn (sticky: a client does not flap between replicas, nor return to the first one of its own).
 * A 4xx is an answer: the call ends with it, as with {@link RemoteCall}.
 *
 * <p>Each replica has a circuit breaker and a time limiter of its own, {@code <name>@<base URL>}, configured
 * as the instances named {@code name}, so a dead replica's failures open only its breaker and turn calls
 * away from it at once. With several replicas a replica is tried once per round and the retry named
 * {@code name} repeats the round (from the current replica) when no replica answered; a round in which
 * every breaker turned the call away is not repeated. With a single base URL this is exactly a
 * {@link RemoteCall} through the instances named {@code name}.
 *
 * <p>Metrics: {@code bootswarm.remote.replica.current{service,url}} (1 for the replica calls go to, 0 for
 * the others) and {@code bootswarm.remote.replica.failovers{service}} (moves to another replica).
 */
public final class RemoteReplicas implements AutoCloseable {

    /** One exchange with a replica, made with a client whose base URL is the replica's. */
    @FunctionalInterface
    public interface Request<T extends @Nullable Object> {
        T send(RestClient replica) throws Exception;
    }

    private record Replica(String url, RestClient client, RemoteCall remote) {
    }

    /** What a round came to when it is not to be repeated: a value, or the exception to end with. */
    private record Outcome<T extends @Nullable Object>(@Nullable T value, @Nullable RemoteCallException end) {

        @SuppressWarnings("NullAway")
        T result() {
            return value;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(RemoteReplicas.class);

    private final String name;
    private final List<Replica> replicas;
    private final @Nullable Retry rounds;
    private final AtomicInteger current = new AtomicInteger();
    private final Counter failovers;

    private RemoteReplicas(String name, List<Replica> replicas, @Nullable Retry rounds, MeterRegistry meters) {
        this.name = name;
        this.replicas = List.copyOf(replicas);
        this.rounds = rounds;
        for (int i = 0; i < replicas.size(); i++) {
            int index = i;
            Gauge.builder("bootswarm.remote.replica.current", current, c -> c.get() == index ? 1 : 0)
                    .tags("service", name, "url", replicas.get(i).url()).strongReference(true)
                    .description("1 for the replica of the service that calls go to, 0 for the others")
                    .register(meters);
        }
        this.failovers = Counter.builder("bootswarm.remote.replica.failovers").tag("service", name)
                .description("calls that moved on to another replica of the service, which became the current one")
                .register(meters);
    }

    /**
     * Calls to the service {@code name} at {@code baseUrls} (as {@link #baseUrls} returns them), with
     * clients made from {@code http} (its request factory, time-outs, interceptors) and resilience4j
     * instances configured as those named {@code name}.
     */
    public static RemoteReplicas of(String name, List<String> baseUrls, RestClient.Builder http,
                                    RetryRegistry retries, CircuitBreakerRegistry breakers,
                                    TimeLimiterRegistry limiters, MeterRegistry meters) {
        if (baseUrls.isEmpty()) {
            throw new IllegalArgumentException("no base URL for " + name);
        }
        if (baseUrls.size() == 1) {
            String url = baseUrls.getFirst();
            return new RemoteReplicas(name, List.of(new Replica(url, http.clone().baseUrl(url).build(),
                    RemoteCall.of(name, retries, breakers, limiters))), null, meters);
        }
        RetryConfig once = RetryConfig.from(retries.retry(name).getRetryConfig()).maxAttempts(1).build();
        List<Replica> replicas = new ArrayList<>();
        for (String url : baseUrls) {
            String instance = name + "@" + url;
            breakers.circuitBreaker(instance, breakers.circuitBreaker(name).getCircuitBreakerConfig());
            retries.retry(instance, once);
            limiters.timeLimiter(instance, limiters.timeLimiter(name).getTimeLimiterConfig());
            replicas.add(new Replica(url, http.clone().baseUrl(url).build(),
                    RemoteCall.replica(instance, name, retries, breakers, limiters)));
        }
        return new RemoteReplicas(name, replicas, retries.retry(name), meters);
    }

    /** One replica, called through {@code remote} with {@code client}, whose base URL is {@code url}. */
    public static RemoteReplicas single(String url, RestClient client, RemoteCall remote, MeterRegistry meters) {
        return new RemoteReplicas(remote.name(), List.of(new Replica(url, client, remote)), null, meters);
    }

    /**
     * The base URLs in {@code value}, a comma-separated list: each an absolute http or https URL with a
     * host and no query or fragment, its trailing slashes dropped; at least one, none twice.
     *
     * @param property the setting {@code value} comes from, for messages
     * @throws IllegalArgumentException naming the setting and the entry when one is malformed
     */
    public static List<String> baseUrls(String property, String value) {
        Set<String> urls = new LinkedHashSet<>();
        String[] entries = value.split(",", -1);
        for (String entry : entries) {
            String url = entry.strip().replaceAll("/+$", "");
            String problem = problem(url);
            if (problem != null) {
                throw new IllegalArgumentException(property + " must be a comma-separated list of http(s) base URLs "
                        + "(e.g. http://tracker-1:8080,http://tracker-2:8080); '" + entry.strip() + "' in '" + value
                        + "' " + problem);
            }
            if (!urls.add(url)) {
                throw new IllegalArgumentException(property + " lists " + url + " twice: '" + value + "'");
            }
        }
        return List.copyOf(urls);
    }

    private static @Nullable String problem(String url) {
        if (url.isEmpty()) {
            return "is empty";
        }
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return "is not a URL: " + e.getReason();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return "is not an http or https URL";
        }
        if (uri.getHost() == null) {
            return "has no host (or a malformed one, or a malformed port)";
        }
        if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
            return "has a query or fragment, which a base URL cannot have";
        }
        return null;
    }

    /** The service's name, which is also that of the resilience4j instances the replicas' are configured as. */
    public String name() {
        return name;
    }

    /** The replicas' base URLs, in the order they are tried. */
    public List<String> urls() {
        return replicas.stream().map(Replica::url).toList();
    }

    /** The base URL calls go to now. */
    public String current() {
        return replicas.get(current.get()).url();
    }

    /**
     * Sends {@code request} to the current replica, and on to the others while it fails.
     *
     * @throws RemoteCallException a 4xx answer of a replica ({@link RemoteCallException#status()}), or, when no
     *                             replica answered, why not at each of them; the caller's interrupt flag is kept
     */
    public <T extends @Nullable Object> T call(Request<T> request) throws RemoteCallException {
        Outcome<T> outcome;
        if (rounds == null) {
            outcome = round(request);
        } else {
            try {
                outcome = rounds.executeCallable(() -> round(request));
            } catch (RemoteCallException e) {
                throw e;
            } catch (Exception e) {
                throw new RemoteCallException(name + " call failed: " + e, e, 0);
            }
        }
        RemoteCallException end = outcome.end();
        if (end != null) {
            throw end;
        }
        return outcome.result();
    }

    /**
     * Each replica once, from the current one on, until one answers. Throws (to be repeated) when all
     * failed and at least one was tried; returns the exception to end with when the call was answered with a
     * 4xx, interrupted, or turned away by every breaker.
     */
    private <T extends @Nullable Object> Outcome<T> round(Request<T> request) throws RemoteCallException {
        int start = current.get();
        List<RemoteCallException> failures = new ArrayList<>(replicas.size());
        for (int k = 0; k < replicas.size(); k++) {
            int index = (start + k) % replicas.size();
            Replica r = replicas.get(index);
            try {
                T value = r.remote().call(r.url(), () -> request.send(r.client()));
                if (index != start && current.compareAndSet(start, index)) {
                    failovers.increment();
                    log.warn("{}: calls go to {} now; {} failed: {}", name, r.url(), replicas.get(start).url(),
                            failures.getFirst().getMessage());
                }
                return new Outcome<>(value, null);
            } catch (RemoteCallException e) {
                if (e.status() != 0 || Thread.currentThread().isInterrupted()) {
                    return new Outcome<>(null, e);
                }
                failures.add(e);
            }
        }
        if (replicas.size() == 1) {
            throw failures.getFirst();
        }
        boolean allTurnedAway = failures.stream().allMatch(RemoteCallException::turnedAway);
        RemoteCallException none = new RemoteCallException("no replica of " + name + " answered ("
                + replicas.stream().map(Replica::url).collect(Collectors.joining(", ")) + "): "
                + failures.stream().map(Throwable::getMessage).collect(Collectors.joining("; ")),
                allTurnedAway ? failures.getLast().getCause() : failures.getLast(), 0);
        failures.forEach(none::addSuppressed);
        if (allTurnedAway) {
            return new Outcome<>(null, none);
        }
        throw none;
    }

    @Override
    public void close() {
        replicas.forEach(r -> r.remote().close());
    }
}
