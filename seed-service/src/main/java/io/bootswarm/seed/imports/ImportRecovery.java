package io.bootswarm.seed.imports;

import io.bootswarm.seed.Storage;
import io.bootswarm.seed.catalog.Catalog;
import io.bootswarm.seed.catalog.ServableImage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.UUID;

/**
 * Cleans up after a crash or restart, before the web server and the peer wire accept anything:
 * imports left RUNNING are marked FAILED ("interrupted by restart"), files left in {@code tmp/}
 * are deleted, and image files no catalog row refers to (a crash between the rename and the
 * commit) are deleted. Catalogued images whose file is missing are reported.
 *
 * <p>Assumes one seed per catalog schema and storage directory.
 */
@Component
class ImportRecovery implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(ImportRecovery.class);
    static final String INTERRUPTED = "interrupted by restart";

    private final ImportRepository imports;
    private final Catalog catalog;
    private final Storage storage;

    ImportRecovery(ImportRepository imports, Catalog catalog, Storage storage) {
        this.imports = imports;
        this.catalog = catalog;
        this.storage = storage;
    }

    @Override
    public void afterSingletonsInstantiated() {
        int failed = imports.failAllRunning(INTERRUPTED, Instant.now(), ImportState.FAILED, ImportState.RUNNING);
        if (failed > 0) {
            log.warn("{} import(s) were running when the seed stopped; marked FAILED", failed);
        }
        int tmp = 0;
        int orphans = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(storage.tmpDir())) {
            for (Path f : files) {
                if (Files.deleteIfExists(f)) {
                    tmp++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clean " + storage.tmpDir(), e);
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(storage.imagesDir(), "*.img")) {
            for (Path f : files) {
                UUID id = imageId(f);
                if (id != null && !catalog.exists(id)) {
                    log.warn("deleting {}: no catalogued image refers to it", f);
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
    }

    private static UUID imageId(Path file) {
        String name = file.getFileName().toString();
        try {
            return UUID.fromString(name.substring(0, name.length() - ".img".length()));
        } catch (IllegalArgumentException e) {
            return null;
        }
    }
}
