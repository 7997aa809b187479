package io.bootswarm.seed.imports;

import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.Storage;
import io.bootswarm.seed.catalog.Catalog;
import io.bootswarm.seed.catalog.ServableImage;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Cleans up after a crash or restart, and keeps the imports of this seed owned while they run. Seed replicas
 * share the catalog and the storage directory, so only what no live replica is working on is touched:
 * <ul>
 *   <li>At start, before the web server and the peer wire accept anything: the imports this seed (its
 *       {@link SeedIdentity} id) left RUNNING, and those of no owner (made before imports had one), are marked
 *       FAILED ("interrupted by restart"); then a file of {@code tmp/} is deleted only when its import is not
 *       RUNNING, and a file of {@code images/} only when no catalogued image and no RUNNING import names it (a
 *       crash between the rename and the commit). Catalogued images whose file is missing are reported.</li>
 *   <li>Every {@code bootswarm.seed.imports.renew-interval}: the heartbeat of this seed's RUNNING imports is
 *       renewed, and the RUNNING imports whose heartbeat is older than {@code lease-duration} (their seed is
 *       gone, and may never come back under its id) are marked FAILED and their files deleted. An import taken
 *       for gone while its seed still runs (cut off from the database longer than the lease) fails there too,
 *       at its next write: nothing it made is catalogued.</li>
 * </ul>
 * Times are the database's, so the replicas' clocks need not agree.
 */
@Component
class ImportRecovery implements SmartInitializingSingleton, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ImportRecovery.class);
    static final String INTERRUPTED = "interrupted by restart";
    static final String LAPSED = "its seed stopped renewing it (gone)";

    private final JdbcTemplate jdbc;
    private final Catalog catalog;
    private final Storage storage;
    private final ImportSettings settings;
    private final String owner;
    private final Counter recovered;
    private ScheduledExecutorService leases;

    ImportRecovery(JdbcTemplate jdbc, Catalog catalog, Storage storage, ImportSettings settings, SeedIdentity identity,
                   MeterRegistry meters) {
        this.jdbc = jdbc;
        this.catalog = catalog;
        this.storage = storage;
        this.settings = settings;
        this.owner = identity.id();
        this.recovered = Counter.builder("bootswarm.seed.imports.recovered")
                .description("imports of a stopped or lost seed marked FAILED and their files deleted")
                .register(meters);
    }

    /** A RUNNING import just marked FAILED, and the image it was about to catalogue, if it had chosen one. */
    private record Recovered(UUID id, UUID imageId) {
    }

    @Override
    public void afterSingletonsInstantiated() {
        List<Recovered> mine = fail(INTERRUPTED, "(owner is null or owner = ?)", owner);
        if (!mine.isEmpty()) {
            log.warn("{} import(s) were running when this seed ({}) stopped; marked FAILED", mine.size(), owner);
        }
        recoverLapsed();
        int tmp = 0;
        int orphans = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(storage.tmpDir(), "*.part")) {
            for (Path f : files) {
                UUID id = uuidOf(f, ".part");
                if (id != null && !running(id) && Files.deleteIfExists(f)) {
                    tmp++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + storage.tmpDir(), e);
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(storage.imagesDir(), "*.img")) {
            for (Path f : files) {
                UUID id = uuidOf(f, ".img");
                if (id != null && unclaimed(id)) {
                    log.warn("deleting {}: no catalogued image and no running import refers to it", f);
                    Files.deleteIfExists(f);
                    orphans++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + storage.imagesDir(), e);
        }
        if (tmp > 0) {
            log.info("deleted {} leftover temporary file(s) of interrupted imports", tmp);
        }
        int images = 0;
        for (ServableImage image : catalog.servableImages()) {
            images++;
            if (!Files.isRegularFile(image.file())) {
                log.warn("image {} '{}' is catalogued but its file {} is missing; peers asking for it are refused",
                        image.id(), image.name(), image.file());
            }
        }
        log.info("catalog holds {} image(s) in {} ({} orphaned file(s) removed)", images, storage.root(), orphans);
        long every = settings.renewInterval().toMillis();
        leases = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("import-leases")
                .factory());
        leases.scheduleWithFixedDelay(this::renewAndRecover, every, every, TimeUnit.MILLISECONDS);
    }

    /** One round of the lease schedule: never throws, so that the schedule keeps going while the database is away. */
    void renewAndRecover() {
        try {
            jdbc.update("update image_import set heartbeat_at = now() where state = 'RUNNING' and owner = ?", owner);
            recoverLapsed();
        } catch (RuntimeException e) {
            log.warn("could not renew or recover imports: {}", e.toString());
        }
    }

    private void recoverLapsed() {
        List<Recovered> lapsed = fail(LAPSED, "owner <> ? and heartbeat_at < now() - make_interval(secs => ?)",
                owner, settings.leaseDuration().toMillis() / 1000.0);
        if (!lapsed.isEmpty()) {
            log.warn("{} import(s) of seeds that are gone (no heartbeat for {}) marked FAILED", lapsed.size(),
                    settings.leaseDuration());
        }
    }

    /** Marks the RUNNING imports matching {@code where} FAILED with {@code error}, deletes their files, returns them. */
    private List<Recovered> fail(String error, String where, Object... args) {
        Object[] all = new Object[args.length + 1];
        all[0] = error;
        System.arraycopy(args, 0, all, 1, args.length);
        List<Recovered> failed = jdbc.query("update image_import set state = 'FAILED', error = ?, finished_at = now() "
                        + "where state = 'RUNNING' and " + where + " returning id, image_id",
                (rs, n) -> new Recovered(rs.getObject(1, UUID.class), rs.getObject(2, UUID.class)), all);
        for (Recovered r : failed) {
            recovered.increment();
            delete(storage.tmpFile(r.id()));
            if (r.imageId() != null && !catalog.exists(r.imageId())) {
                delete(storage.resolve(storage.relativeImageFile(r.imageId())));
            }
        }
        return failed;
    }

    private static void delete(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            log.warn("could not delete {} of a recovered import: {}", file, e.toString());
        }
    }

    private boolean running(UUID importId) {
        return Boolean.TRUE.equals(jdbc.queryForObject(
                "select exists (select 1 from image_import where id = ? and state = 'RUNNING')", Boolean.class,
                importId));
    }

    /** Whether no catalogued image and no RUNNING import names image {@code id} (one statement, one snapshot). */
    private boolean unclaimed(UUID id) {
        return Boolean.TRUE.equals(jdbc.queryForObject("select not exists (select 1 from image where id = ?) and "
                + "not exists (select 1 from image_import where image_id = ? and state = 'RUNNING')", Boolean.class,
                id, id));
    }

    private static UUID uuidOf(Path file, String suffix) {
        String name = file.getFileName().toString();
        try {
            return UUID.fromString(name.substring(0, name.length() - suffix.length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void destroy() {
        if (leases != null) {
            leases.shutdownNow();
        }
    }
}
