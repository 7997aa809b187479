package io.bootswarm.tracker.stock;

import io.bootswarm.common.manifest.SwarmId;
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
 * Asks seed-service about stock clients: whether a swarm's image is open to them
 * ({@code GET /api/v1/swarms/{swarmId}/stock-clients}, {@code GET /api/v1/images/{id}/stock-clients}) and
 * an image's BEP 3 info dictionary ({@code GET /api/v1/images/{id}/torrent-info}). The seed is the most
 * recently seen live registered one, else {@code bootswarm.tracker.seed-url}; calls go through the
 * resilience4j instances named {@code seed-service}. A 404 is an answer (no such swarm or image).
 */
@Component
class SeedStockClient implements AutoCloseable {

    /** The seed's answer. */
    record StockState(UUID imageId, String swarmId, boolean open) {
    }

    private final SeedRegistry seeds;
    private final TrackerProperties properties;
    private final RestClient http;
    private final RemoteCall seed;

    SeedStockClient(SeedRegistry seeds, TrackerProperties properties, RestClient.Builder http,
                    CircuitBreakerRegistry breakers, RetryRegistry retries, TimeLimiterRegistry limiters) {
        this.seeds = seeds;
        this.properties = properties;
        JdkClientHttpRequestFactory requests = new JdkClientHttpRequestFactory(HttpClient.newBuilder()
                .connectTimeout(properties.seedConnectTimeout()).followRedirects(HttpClient.Redirect.NEVER).build());
        requests.setReadTimeout(properties.seedReadTimeout());
        this.http = http.clone().requestFactory(requests).build();
        this.seed = RemoteCall.of("seed-service", retries, breakers, limiters);
    }

    /** @throws RemoteCallException when the seed cannot answer */
    Optional<StockState> bySwarm(SwarmId swarm) throws RemoteCallException {
        return get("/api/v1/swarms/{id}/stock-clients", swarm.hex(), StockState.class);
    }

    /** @throws RemoteCallException when the seed cannot answer */
    Optional<StockState> byImage(UUID image) throws RemoteCallException {
        return get("/api/v1/images/{id}/stock-clients", image.toString(), StockState.class);
    }

    /** @throws RemoteCallException when the seed cannot answer */
    Optional<byte[]> torrentInfo(UUID image) throws RemoteCallException {
        return get("/api/v1/images/{id}/torrent-info", image.toString(), byte[].class);
    }

    private <T> Optional<T> get(String path, String id, Class<T> type) throws RemoteCallException {
        URI base = seeds.live().stream().findFirst().map(Seed::apiUrl).map(URI::create)
                .or(() -> Optional.ofNullable(properties.seedUrl()))
                .orElseThrow(() -> new RemoteCallException(
                        "no live seed-service is registered and bootswarm.tracker.seed-url is not set"));
        URI uri = UriComponentsBuilder.fromUri(base).path(path).buildAndExpand(id).toUri();
        try {
            return Optional.of(seed.call(base.toString(), () -> {
                T body = http.get().uri(uri).accept(MediaType.ALL).retrieve().body(type);
                if (body == null) {
                    throw new IllegalStateException("seed-service sent no body for " + uri);
                }
                return body;
            }));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    @Override
    public void close() {
        seed.close();
    }
}
