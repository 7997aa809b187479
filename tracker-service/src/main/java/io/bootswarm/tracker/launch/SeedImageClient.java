package io.bootswarm.tracker.launch;

import io.bootswarm.common.remote.RemoteCallException;
import io.bootswarm.tracker.seeds.SeedServices;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.util.UriComponentsBuilder;

import java.net.URI;
import java.util.Optional;
import java.util.UUID;

/**
 * Asks seed-service whether an image exists ({@code GET /api/v1/images/{id}}): every live registered seed in
 * turn, then {@code bootswarm.tracker.seed-url}, until one answers ({@link SeedServices}). A 404 is an answer
 * (the image does not exist), not a failure.
 */
@Component
class SeedImageClient {

    private final SeedServices seeds;

    SeedImageClient(SeedServices seeds) {
        this.seeds = seeds;
    }

    /**
     * The image, or empty when seed-service does not know it.
     *
     * @throws RemoteCallException when no seed-service can answer
     */
    Optional<ImageInfo> find(UUID imageId) throws RemoteCallException {
        try {
            return Optional.of(seeds.call("image " + imageId, base -> get(UriComponentsBuilder.fromUri(base)
                    .path("/api/v1/images/{id}").buildAndExpand(imageId).toUri())));
        } catch (RemoteCallException e) {
            if (e.status() == 404) {
                return Optional.empty();
            }
            throw e;
        }
    }

    private ImageInfo get(URI uri) {
        ImageInfo image = seeds.http().get().uri(uri).accept(MediaType.APPLICATION_JSON).retrieve()
                .body(ImageInfo.class);
        if (image == null) {
            throw new IllegalStateException("seed-service sent no image body for " + uri);
        }
        return image;
    }
}
