package io.bootswarm.profile.api;

import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.common.remote.RemoteReplicas;
import io.bootswarm.profile.ProfileProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;

import java.net.http.HttpClient;
import java.util.Optional;
import java.util.UUID;

/**
 * Asks seed-service about an image ({@code GET {bootswarm.profile.seed-url}/api/v1/images/{id}}): its
 * size and piece size. Calls go through {@link RemoteReplicas} named {@value #NAME} (a retry with backoff
 * around a circuit breaker around a time limiter, configured under {@code resilience4j.*}): with several
 * seed URLs, a seed that fails sends the call on to the next, which calls stay with. A 404 is an answer
 * (no such image), not a failure.
 */
@Component
class ImageSizeClient implements AutoCloseable {

    static final String NAME = "seed-service";

    private final RemoteReplicas seeds;

    ImageSizeClient(ProfileProperties properties, RestClient.Builder http, CircuitBreakerRegistry circuitBreakers,
                    RetryRegistry retries, TimeLimiterRegistry timeLimiters, MeterRegistry meters) {
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(HttpClient.newBuilder()
                .connectTimeout(properties.seedConnectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
        requests.setReadTimeout(properties.seedReadTimeout());
        this.seeds = RemoteReplicas.of(NAME, properties.seedUrls(), http.requestFactory(requests), retries,
                circuitBreakers, timeLimiters, meters);
    }

    /**
     * The image, or empty when seed-service does not know it.
     *
     * @throws SeedUnavailableException when seed-service cannot answer
     */
    Optional<ImageSize> find(UUID imageId) {
        ImageSize image;
        try {
            image = seeds.call(seed -> seed.get().uri("/api/v1/images/{id}", imageId)
                    .accept(MediaType.APPLICATION_JSON).retrieve().body(ImageSize.class));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw new SeedUnavailableException(e.getMessage(), e);
        }
        if (image == null || image.size() <= 0 || image.pieceSize() <= 0) {
            throw new SeedUnavailableException("seed-service at " + seeds.current()
                    + " sent no usable image (size, piece size) for " + imageId);
        }
        return Optional.of(image);
    }

    @Override
    public void close() {
        seeds.close();
    }
}
