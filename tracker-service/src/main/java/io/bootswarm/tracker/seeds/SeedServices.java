package io.bootswarm.tracker.seeds;

import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.tracker.TrackerProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The tracker's calls to seed-service, whichever replica answers. A call asks every live registered seed in
 * turn, most recently seen first, then {@code bootswarm.tracker.seed-url}, and takes the first answer: seed
 * replicas share one catalog, so any of them knows what the others know, and a dead replica among the live ones
 * costs a call its connect timeout (then, its breaker open, nothing), not its answer. A 404 is an answer ("no such
 * image or swarm"); anything else (unreachable, 5xx, time-out, another 4xx, its breaker open) moves on to the
 * next seed. Each seed-service is called through resilience4j instances of its own, named
 * {@code seed-service@<base URL>} and configured as those named {@value #NAME}, so one replica's open breaker does
 * not turn the others away; the instances of seeds no longer registered are dropped.
 */
@Component
public class SeedServices implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SeedServices.class);
    /** The resilience4j instances every seed-service's own are configured as. */
    public static final String NAME = "seed-service";

    private final SeedRegistry seeds;
    private final TrackerProperties properties;
    private final RestClient http;
    private final CircuitBreakerRegistry circuitBreakers;
    private final RetryRegistry retries;
    private final TimeLimiterRegistry timeLimiters;
    private final ConcurrentMap<String, RemoteCall> targets = new ConcurrentHashMap<>();

    public SeedServices(SeedRegistry seeds, TrackerProperties properties, RestClient.Builder http,
                        CircuitBreakerRegistry circuitBreakers, RetryRegistry retries,
                        TimeLimiterRegistry timeLimiters) {
        this.seeds = seeds;
        this.properties = properties;
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(HttpClient.newBuilder()
                .connectTimeout(properties.seedConnectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
        requests.setReadTimeout(properties.seedReadTimeout());
        this.http = http.clone().requestFactory(requests).build();
        this.circuitBreakers = circuitBreakers;
        this.retries = retries;
        this.timeLimiters = timeLimiters;
    }

    /** The HTTP client for seed-service calls (the tracker's seed connect and read timeouts, no redirects). */
    public RestClient http() {
        return http;
    }

    /**
     * The first answer of {@code request}, given a seed-service's base URL, asking the seed-services in turn.
     *
     * @param what what is asked, for log lines
     * @throws RemoteCallException the 404 of the first seed that answered so, or the last failure when no seed
     *                             answered (also when none is registered and no seed URL is set)
     */
    public <T> T call(String what, Function<URI, T> request) throws RemoteCallException {
        RemoteCallException last = new RemoteCallException(
                "no live seed-service is registered and bootswarm.tracker.seed-url is not set");
        for (String base : candidates()) {
            URI uri = URI.create(base);
            try {
                return callerOf(base).call(base, () -> request.apply(uri));
            } catch (RemoteCallException e) {
                if (e.status() == 404) {
                    throw e;
                }
                log.debug("{} unanswered by {}: {}", what, base, e.getMessage());
                last = e;
            }
            if (Thread.currentThread().isInterrupted()) {
                break;
            }
        }
        throw last;
    }

    /** The seed-services' base URLs in the order they are asked. */
    public List<String> candidates() {
        return Stream.concat(seeds.live().stream().map(Seed::apiUrl),
                Stream.ofNullable(properties.seedUrl()).map(URI::toString)).distinct().toList();
    }

    private RemoteCall callerOf(String base) {
        return targets.computeIfAbsent(base, b -> {
            String name = NAME + "@" + b;
            circuitBreakers.circuitBreaker(name, circuitBreakers.circuitBreaker(NAME).getCircuitBreakerConfig());
            retries.retry(name, retries.retry(NAME).getRetryConfig());
            timeLimiters.timeLimiter(name, timeLimiters.timeLimiter(NAME).getTimeLimiterConfig());
            return RemoteCall.of(name, retries, circuitBreakers, timeLimiters);
        });
    }

    /** Drops the resilience4j instances of seed-services no longer asked. */
    @Scheduled(fixedDelayString = "${bootswarm.tracker.sweep-interval:1s}")
    public void sweep() {
        Set<String> current = Set.copyOf(candidates());
        targets.entrySet().removeIf(t -> {
            if (current.contains(t.getKey())) {
                return false;
            }
            String name = t.getValue().name();
            circuitBreakers.remove(name);
            retries.remove(name);
            timeLimiters.remove(name);
            t.getValue().close();
            return true;
        });
    }

    @Override
    public void close() {
        targets.values().forEach(RemoteCall::close);
    }
}
