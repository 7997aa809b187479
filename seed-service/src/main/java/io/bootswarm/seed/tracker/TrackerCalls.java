package io.bootswarm.seed.tracker;

import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.seed.SeedProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import java.net.http.HttpClient;
import java.time.Duration;
import java.util.List;

/**
 * The seed's calls to tracker-service (its registration, the launches of an image it deletes, the peer token
 * keys): one {@link RemoteReplicas} named {@code tracker} over the base URLs of
 * {@code bootswarm.seed.tracker-url}, so all of them go to the same replica and move on together when it fails.
 * With one URL each call is a {@code RemoteCall} through the resilience4j instances named {@code tracker}; with
 * several, each replica has a circuit breaker and time limiter {@code tracker@<url>} configured as those. The
 * seed calls as its own client (role {@code seed}) through the application's {@link RestClient.Builder}, 2 s to
 * connect, 10 s to read, no redirects followed. Without a tracker URL the seed runs alone and
 * {@link #enabled()} is false.
 */
@Component
public class TrackerCalls implements DisposableBean {

    static final String RESILIENCE_NAME = "tracker";

    private final List<String> urls;
    private final RemoteReplicas replicas;

    TrackerCalls(SeedProperties properties, RestClient.Builder restClients, CircuitBreakerRegistry circuitBreakers,
                 RetryRegistry retries, TimeLimiterRegistry timeLimiters, MeterRegistry meters) {
        this.urls = properties.trackerUrls();
        JdkClientHttpRequestFactory factory = new JdkClientHttpRequestFactory(HttpClient.newBuilder()
                .connectTimeout(Duration.ofSeconds(2)).followRedirects(HttpClient.Redirect.NEVER).build());
        factory.setReadTimeout(Duration.ofSeconds(10));
        this.replicas = urls.isEmpty() ? null : RemoteReplicas.of(RESILIENCE_NAME, urls,
                restClients.clone().requestFactory(factory), retries, circuitBreakers, timeLimiters, meters);
    }

    /** Whether a tracker is configured to call. */
    public boolean enabled() {
        return replicas != null;
    }

    /** The tracker replicas' base URLs, in the order they are tried; empty when none is configured. */
    public List<String> urls() {
        return urls;
    }

    /**
     * Sends {@code request} to the current tracker replica, and on to the others while it fails there.
     *
     * @throws RemoteCallException a 4xx answer, or no replica answered, or no tracker is configured
     */
    public <T> T call(RemoteReplicas.Request<T> request) throws RemoteCallException {
        if (replicas == null) {
            throw new RemoteCallException("no tracker is configured (bootswarm.seed.tracker-url is empty)");
        }
        return replicas.call(request);
    }

    @Override
    public void destroy() {
        if (replicas != null) {
            replicas.close();
        }
    }
}
