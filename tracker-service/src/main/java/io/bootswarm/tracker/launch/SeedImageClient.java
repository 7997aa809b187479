package io.bootswarm.tracker.launch;

import io.bootswarm.common.remote.RemoteCall;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.seeds.Seed;
import io.bootswarm.tracker.seeds.SeedRegistry;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import org.springframework.http.MediaType;
import org.springframework.http.client.JdkClientHttpRequestFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.client.RestClient;
import org.springframework.web.util.UriComponentsBuilder;

import java.net.URI;
import java.net.http.HttpClient;
import java.util.Optional;
import java.util.UUID;

/**
 * Asks seed-service whether an image exists ({@code GET /api/v1/images/{id}}). The seed's URL is
 * that of the most recently seen live registered seed, else {@code bootswarm.tracker.seed-url}.
 * Each call is a {@link RemoteCall} through the resilience4j instances named {@value #NAME}. A 404
 * is an answer (the image does not exist), not a failure.
 */
@Component
class SeedImageClient implements AutoCloseable {

    static final String NAME = "seed-service";

    private final SeedRegistry seeds;
    private final TrackerProperties properties;
    private final RestClient http;
    private final RemoteCall seed;

    SeedImageClient(SeedRegistry seeds, TrackerProperties properties, RestClient.Builder http,
                    CircuitBreakerRegistry circuitBreakers, RetryRegistry retries, TimeLimiterRegistry timeLimiters) {
        this.seeds = seeds;
        this.properties = properties;
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(HttpClient.newBuilder()
                .connectTimeout(properties.seedConnectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build());
        requests.setReadTimeout(properties.seedReadTimeout());
        this.http = http.requestFactory(requests).build();
        this.seed = RemoteCall.of(NAME, retries, circuitBreakers, timeLimiters);
    }

    /**
     * The image, or empty when seed-service does not know it.
     *
     * @throws RemoteCallException when seed-service cannot answer
     */
    Optional<ImageInfo> find(UUID imageId) throws RemoteCallException {
        URI base = seeds.live().stream().findFirst().map(Seed::apiUrl).map(URI::create)
                .or(() -> Optional.ofNullable(properties.seedUrl()))
                .orElseThrow(() -> new RemoteCallException(
                        "no live seed-service is registered and bootswarm.tracker.seed-url is not set"));
        URI uri = UriComponentsBuilder.fromUri(base).path("/api/v1/images/{id}").buildAndExpand(imageId).toUri();
        try {
            return Optional.of(seed.call(base.toString(), () -> get(uri)));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private ImageInfo get(URI uri) {
        ImageInfo image = http.get().uri(uri).accept(MediaType.APPLICATION_JSON).retrieve().body(ImageInfo.class);
        if (image == null) {
            throw new IllegalStateException("seed-service sent no image body for " + uri);
        }
        return image;
    }

    @Override
    public void close() {
        seed.close();
    }
}
