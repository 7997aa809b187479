package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.SwarmId;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.context.event.EventListener;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Tells this seed about the catalog changes other seed replicas made in the shared database: every
 * {@code bootswarm.seed.catalog.watch-interval} it compares a fingerprint of the catalog (one row: the image ids
 * and their stock-client flags, hashed by PostgreSQL) with the last one, and on a difference reads the images and
 * publishes, as if the change had been made here, {@link ImageRemoved} and {@link CatalogChanged} for an image
 * deleted elsewhere (the peer wire closes it, piece groups are recomputed), {@link CatalogChanged} for an image
 * added elsewhere, and {@link StockClientsChanged} for an image opened or closed to stock clients elsewhere. Changes
 * made here publish their own events at once and are not published again. What reads the catalog per request
 * (listings, manifests, a handshake's first lookup) needs no event.
 */
@Component
@EnableConfigurationProperties(CatalogSettings.class)
class CatalogWatch implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(CatalogWatch.class);

    private record Image(UUID id, String name, SwarmId swarmId, boolean stockClientsOpen) {
    }

    private final JdbcTemplate jdbc;
    private final ApplicationEventPublisher events;
    private final PieceIndex pieces;
    private final CatalogSettings settings;
    private final MeterRegistry meters;
    private Map<UUID, Image> known;
    /** Images looked up for serving that the last look did not see (added since): watched for deletes only. */
    private final Map<UUID, Image> served = new HashMap<>();
    private String fingerprint;
    private ScheduledExecutorService schedule;
    private boolean failing;

    CatalogWatch(JdbcTemplate jdbc, ApplicationEventPublisher events, PieceIndex pieces, CatalogSettings settings,
                 MeterRegistry meters) {
        this.jdbc = jdbc;
        this.events = events;
        this.pieces = pieces;
        this.settings = settings;
        this.meters = meters;
    }

    @Override
    public void afterSingletonsInstantiated() {
        synchronized (this) {
            fingerprint = fingerprint();
            known = images();
        }
        long every = settings.watchInterval().toMillis();
        schedule = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("catalog-watch")
                .factory());
        schedule.scheduleWithFixedDelay(() -> {
            try {
                poll();
                if (failing) {
                    failing = false;
                    log.info("catalog watch works again");
                }
            } catch (RuntimeException e) {
                if (!failing) {
                    failing = true;
                    log.warn("catalog watch failed (changes by other seeds are not seen until it works again): {}",
                            e.toString());
                }
            }
        }, every, every, TimeUnit.MILLISECONDS);
    }

    /**
     * One look at the catalog; publishes the events of what changed since the last. The database is read outside the
     * monitor: a handshake's lookup holds a connection of the pool while it waits for the monitor ({@link #lookedUp}),
     * and a look that waited for a connection while it held the monitor could wait for the pool's timeout with every
     * connection held by lookups waiting for it (a 16-agent benchmark stalled 30 s so, the seed's handshakes with it).
     */
    void poll() {
        Map<UUID, Image> servedBefore;
        synchronized (this) {
            servedBefore = new HashMap<>(served);
        }
        String now = fingerprint();
        synchronized (this) {
            if (Objects.equals(now, fingerprint)) {
                return;
            }
        }
        Map<UUID, Image> fresh = images();
        List<Image> removed = new ArrayList<>();
        List<Object> changes = new ArrayList<>();
        synchronized (this) {
            Map<UUID, Image> before = known;
            fingerprint = now;
            known = fresh;
            Map<UUID, Image> watched = new HashMap<>(servedBefore);
            watched.putAll(before);
            servedBefore.keySet().forEach(served::remove); // those still there are in known now
            if (!served.isEmpty()) {
                fingerprint = null; // looked up while the images were read: the next look compares them again
            }
            for (Image gone : watched.values()) {
                if (!fresh.containsKey(gone.id())) {
                    removed.add(gone);
                }
            }
            for (Image image : fresh.values()) {
                Image held = before.get(image.id());
                if (held == null) {
                    seen("added");
                    changes.add(new CatalogChanged(image.id(), true));
                } else if (held.stockClientsOpen() != image.stockClientsOpen()) {
                    seen("stock-clients");
                    changes.add(new StockClientsChanged(image.swarmId(), image.stockClientsOpen()));
                }
            }
        }
        for (Image gone : removed) {
            pieces.forget(gone.id());
            seen("removed");
            log.info("image {} '{}' was deleted by another seed; no longer serving it", gone.id(), gone.name());
            events.publishEvent(new ImageRemoved(gone.id(), gone.name(), gone.swarmId()));
            events.publishEvent(new CatalogChanged(gone.id(), false));
        }
        changes.forEach(events::publishEvent);
    }

    /**
     * An image this seed has just found by its swarm (a handshake's lookup, before it serves it): from now on a
     * delete by another seed is told even if the image was added and deleted between two looks, when the
     * catalog's fingerprint is back to the one last seen (so the next look compares the images themselves).
     */
    synchronized void lookedUp(UUID id, String name, SwarmId swarmId) {
        if (known != null && !known.containsKey(id) && !served.containsKey(id)) {
            served.put(id, new Image(id, name, swarmId, false));
            fingerprint = null;
        }
    }

    private void seen(String change) {
        meters.counter("bootswarm.seed.catalog.changes.seen", "change", change).increment();
    }

    /** A change made here: known at once, so that the next poll does not publish it again. */
    @EventListener
    synchronized void onRemoved(ImageRemoved event) {
        if (known != null) {
            known.remove(event.imageId());
        }
        served.remove(event.imageId());
    }

    /** As {@link #onRemoved}, for a stock-client flag set here. */
    @EventListener
    synchronized void onStockClients(StockClientsChanged event) {
        if (known != null) {
            known.replaceAll((id, i) -> i.swarmId().equals(event.swarmId())
                    ? new Image(i.id(), i.name(), i.swarmId(), event.open()) : i);
        }
    }

    private String fingerprint() {
        return jdbc.queryForObject("select count(*)::text || ':' || coalesce(md5(string_agg(id::text || "
                + "case when stock_clients_open then '+' else '-' end, ',' order by id)), '') from image",
                String.class);
    }

    private Map<UUID, Image> images() {
        List<Image> rows = jdbc.query("select id, name, swarm_id, stock_clients_open from image",
                (rs, n) -> new Image(rs.getObject(1, UUID.class), rs.getString(2), SwarmId.of(rs.getBytes(3)),
                        rs.getBoolean(4)));
        Map<UUID, Image> out = new HashMap<>();
        rows.forEach(i -> out.put(i.id(), i));
        return out;
    }

    @Override
    public void destroy() {
        if (schedule != null) {
            schedule.shutdownNow();
        }
    }
}
