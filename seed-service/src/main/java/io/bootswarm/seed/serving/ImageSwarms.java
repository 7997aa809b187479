package io.bootswarm.seed.serving;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.common.wire.SwarmDirectory;
import io.bootswarm.seed.allocation.UploadSplit;
import io.bootswarm.seed.catalog.Catalog;
import io.bootswarm.seed.catalog.ImageRemoved;
import io.bootswarm.seed.catalog.ServableImage;
import io.bootswarm.seed.catalog.StockClients;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@link SwarmDirectory} of the seed: a handshake's swarm id is looked up in the catalog once
 * and the opened image is cached; its upload is shaped by the {@link UploadSplit} and its pieces are checked
 * before they are served ({@link StoreIntegrity}). A deleted image ({@link ImageRemoved}) leaves the cache and is
 * closed; its id is remembered so that a lookup racing with the deletion cannot bring it back.
 */
@Component
class ImageSwarms implements SwarmDirectory, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ImageSwarms.class);

    private final Catalog catalog;
    private final UploadLedger ledger;
    private final UploadSplit split;
    private final StoreIntegrity integrity;
    private final Map<SwarmId, ImageSwarm> open = new ConcurrentHashMap<>();
    private final Set<UUID> removed = ConcurrentHashMap.newKeySet();

    ImageSwarms(Catalog catalog, UploadLedger ledger, UploadSplit split, StoreIntegrity integrity) {
        this.catalog = catalog;
        this.integrity = integrity;
        this.ledger = ledger;
        this.split = split;
    }

    @Override
    public Optional<ServedSwarm> find(SwarmId swarmId) {
        ImageSwarm swarm = open.get(swarmId);
        if (swarm == null) {
            Optional<ServableImage> image = catalog.findBySwarmId(swarmId);
            if (image.isEmpty()) {
                return Optional.empty();
            }
            Optional<ImageIntegrity> checks = catalog.pieceHashes(image.get().id())
                    .flatMap(hashes -> integrity.forImage(image.get(), hashes));
            if (checks.isEmpty()) {
                return Optional.empty();
            }
            ImageSwarm fresh;
            try {
                fresh = ImageSwarm.open(image.get(), ledger, split.forImage(image.get().id()), checks.get());
            } catch (IOException e) {
                log.warn("cannot serve image {} '{}': {}", image.get().id(), image.get().name(), e.toString());
                return Optional.empty();
            }
            swarm = open.putIfAbsent(swarmId, fresh);
            if (swarm == null) {
                swarm = fresh;
            } else {
                fresh.close();
            }
        }
        if (removed.contains(swarm.imageId())) {
            open.remove(swarmId, swarm);
            swarm.close();
            return Optional.empty();
        }
        return Optional.of(swarm);
    }

    /** Whether peers without a valid access token (stock BitTorrent clients) may fetch this swarm. */
    boolean openToStockClients(SwarmId swarmId) {
        return catalog.stockClients(swarmId).map(StockClients::open).orElse(false);
    }

    @EventListener
    void onRemoved(ImageRemoved event) {
        removed.add(event.imageId());
        ImageSwarm swarm = open.remove(event.swarmId());
        if (swarm != null) {
            swarm.close();
        }
        ledger.forget(event.imageId());
    }

    /** Images opened for serving right now. */
    int openImages() {
        return open.size();
    }

    @Override
    public void destroy() {
        open.values().forEach(ImageSwarm::close);
        open.clear();
    }
}
