package io.bootswarm.tracker.stock;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.tracker.seeds.SeedServices;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriComponentsBuilder;

import java.net.URI;
import java.util.Optional;
import java.util.UUID;

/**
 * Asks seed-service about stock clients: whether a swarm's image is open to them
 * ({@code GET /api/v1/swarms/{swarmId}/stock-clients}, {@code GET /api/v1/images/{id}/stock-clients}) and
 * an image's BEP 3 info dictionary ({@code GET /api/v1/images/{id}/torrent-info}): every live registered seed in
 * turn, then {@code bootswarm.tracker.seed-url}, until one answers ({@link SeedServices}). A 404 is an answer (no
 * such swarm or image).
 */
@Component
class SeedStockClient {

    /** The seed's answer. */
    record StockState(UUID imageId, String swarmId, boolean open) {
    }

    private final SeedServices seeds;

    SeedStockClient(SeedServices seeds) {
        this.seeds = seeds;
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
        try {
            return Optional.of(seeds.call(path + " of " + id, base -> {
                URI uri = UriComponentsBuilder.fromUri(base).path(path).buildAndExpand(id).toUri();
                T body = seeds.http().get().uri(uri).accept(MediaType.ALL).retrieve().body(type);
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
}
