package io.bootswarm.seed.serving;

import io.bootswarm.seed.catalog.ImageRemoved;
import io.bootswarm.seed.catalog.PieceHealth;
import io.bootswarm.seed.catalog.ServableImage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link ImageIntegrity} of every image the seed has served or scrubbed since it started, shared by
 * the peer wire ({@link ImageSwarm}) and the {@link StoreScrub}; the {@code rottenPieces} of the image
 * view. Meters per image (tag {@code image}): {@value #ROTTEN} (pieces found rotten) and
 * {@value #VERIFIED} (pieces checked and found sound).
 */
@Component
@EnableConfigurationProperties(IntegritySettings.class)
class StoreIntegrity implements PieceHealth {

    /** Pieces found rotten: their bytes do not match the manifest or cannot be read. */
    static final String ROTTEN = "bootswarm.seed.pieces.rotten";
    /** Pieces checked against the manifest and found sound. */
    static final String VERIFIED = "bootswarm.seed.pieces.verified";

    private record Entry(ImageIntegrity integrity, Counter rotten, Counter verified) {
    }

    private final IntegritySettings settings;
    private final MeterRegistry meters;
    private final Clock clock;
    private final Map<UUID, Entry> images = new ConcurrentHashMap<>();
    private final Set<UUID> removed = ConcurrentHashMap.newKeySet();

    StoreIntegrity(IntegritySettings settings, MeterRegistry meters, Clock clock) {
        this.settings = settings;
        this.meters = meters;
        this.clock = clock;
    }

    /**
     * The integrity of {@code image}, created with the manifest's piece {@code hashes} the first time;
     * empty if the image was deleted (so that a reader racing with the deletion cannot bring it back).
     *
     * @throws IllegalArgumentException if {@code hashes} does not hold one SHA-256 per piece
     */
    Optional<ImageIntegrity> forImage(ServableImage image, byte[] hashes) {
        if (removed.contains(image.id())) {
            return Optional.empty();
        }
        ImageIntegrity found = images.computeIfAbsent(image.id(), id -> {
            Counter rotten = Counter.builder(ROTTEN).tag("image", image.name())
                    .description("pieces of the seed's image files found rotten (not matching the manifest, or "
                            + "unreadable) and no longer served").register(meters);
            Counter verified = Counter.builder(VERIFIED).tag("image", image.name())
                    .description("pieces of the seed's image files checked against the manifest and found sound")
                    .register(meters);
            return new Entry(new ImageIntegrity(image, hashes, clock, settings.fileCheckInterval(), rotten, verified),
                    rotten, verified);
        }).integrity();
        if (removed.contains(image.id())) {
            forget(image.id());
            return Optional.empty();
        }
        return Optional.of(found);
    }

    @Override
    public int rottenPieces(UUID imageId) {
        Entry e = images.get(imageId);
        return e == null ? 0 : e.integrity().rottenPieces();
    }

    @EventListener
    void onRemoved(ImageRemoved event) {
        removed.add(event.imageId());
        forget(event.imageId());
    }

    private void forget(UUID imageId) {
        Entry e = images.remove(imageId);
        if (e != null) {
            meters.remove(e.rotten());
            meters.remove(e.verified());
        }
    }
}
