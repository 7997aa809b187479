package io.bootswarm.seed.imports;

import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.common.web.ProblemException;
import io.bootswarm.seed.SeedIdentity;
import io.bootswarm.seed.SeedProperties;
import io.bootswarm.seed.Storage;
import io.bootswarm.seed.catalog.Catalog;
import io.bootswarm.seed.catalog.ImageName;
import io.bootswarm.seed.catalog.ImageView;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Service;
import org.springframework.transaction.support.TransactionTemplate;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * Brings images into the catalog: a streaming upload (on the request's thread) or a copy of a file
 * from the import directory (in the background). Either way the bytes go once through
 * {@link PieceSplitter} into {@code <storage>/tmp/<import>.part}, are forced to disk, renamed to
 * {@code <storage>/images/<image>.img} (the image id recorded in the import's row first), and the image row, its
 * event and the import's DONE state are committed in one transaction. Nothing is ever held in memory beyond one
 * piece.
 *
 * <p>Each import belongs to the seed running it (its {@link SeedIdentity} id in the row's {@code owner}), which
 * renews its heartbeat while it runs ({@link ImportRecovery}), so that seed replicas sharing the catalog and the
 * storage directory recover only the imports of a replica that is gone.
 *
 * <p>Every import has a row in {@code image_import} from its start, so progress can be watched
 * and the outcome looked up later. A rejection found before any byte is read (bad name, taken
 * name, declared size out of bounds, bad path) creates no row; a failure found while reading
 * (too large, empty, broken stream, name taken at commit) leaves the row FAILED with the reason,
 * and no image row and no file.
 *
 * <p>A path import reads at the pace {@link ImportThrottle} allows ({@code bootswarm.seed.path-import-rate});
 * its live byte count is what has been read, so a held import shows where it stands.
 */
@Service
public class ImportService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ImportService.class);
    private static final long PROGRESS_WRITE_NANOS = Duration.ofSeconds(1).toNanos();

    private final SeedProperties properties;
    private final Storage storage;
    private final Catalog catalog;
    private final ImportRepository imports;
    private final TransactionTemplate tx;
    private final MeterRegistry meters;
    private final ImportThrottle throttle;
    private final String owner;
    private final Map<UUID, Job> running = new ConcurrentHashMap<>();
    private final Set<String> claimedNames = ConcurrentHashMap.newKeySet();
    private final ExecutorService background =
            Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("path-import-", 0).factory());

    ImportService(SeedProperties properties, Storage storage, Catalog catalog, ImportRepository imports,
                  TransactionTemplate tx, MeterRegistry meters, ImportThrottle throttle, SeedIdentity identity) {
        this.properties = properties;
        this.owner = identity.id();
        this.storage = storage;
        this.catalog = catalog;
        this.imports = imports;
        this.tx = tx;
        this.meters = meters;
        this.throttle = throttle;
        meters.gauge("bootswarm.seed.imports.running", running, Map::size);
    }

    /** An import in flight. */
    private record Job(UUID id, ImportKind kind, String name, long startNanos, AtomicLong bytes) {
    }

    /**
     * Imports the image streamed in {@code body}.
     *
     * @param declaredLength the request's Content-Length, or -1 when it has none (chunked)
     * @return the catalogued image
     * @throws ProblemException 400 bad name or empty body, 409 name taken, 413 larger than
     *                          {@code bootswarm.seed.max-image-size}, 400 if the stream breaks
     */
    public ImageView upload(String name, long declaredLength, InputStream body) {
        ImageName.check(name);
        if (declaredLength == 0) {
            throw empty(name);
        }
        long max = properties.maxImageSize().toBytes();
        if (declaredLength > max) {
            throw tooLarge(declaredLength, max);
        }
        claim(name);
        try {
            Job job = begin(ImportKind.UPLOAD, name, null, declaredLength > 0 ? declaredLength : null);
            return importStream(job, body, false);
        } finally {
            claimedNames.remove(name);
        }
    }

    /**
     * Starts importing a file of the import directory in the background.
     *
     * @return the import, RUNNING
     * @throws ProblemException 400 bad name, bad path or empty file, 409 name taken, 413 file too large
     */
    public ImportView startPathImport(ImportRequest request) {
        if (request == null) {
            throw ProblemException.badRequest("bad-import-request", "a JSON body with name and path is required");
        }
        String name = ImageName.check(request.name());
        Path source = ImportPaths.resolve(storage.importDir(), request.path());
        long size;
        try {
            size = Files.size(source);
        } catch (IOException e) {
            throw ProblemException.badRequest("bad-import-path", "cannot read the size of '" + request.path() + "': "
                    + e.getMessage());
        }
        if (size == 0) {
            throw empty(name);
        }
        long max = properties.maxImageSize().toBytes();
        if (size > max) {
            throw tooLarge(size, max);
        }
        claim(name);
        Job job;
        try {
            job = begin(ImportKind.PATH, name, request.path(), size);
        } catch (RuntimeException e) {
            claimedNames.remove(name);
            throw e;
        }
        background.execute(() -> {
            try (InputStream in = Files.newInputStream(source)) {
                importStream(job, in, true);
            } catch (ProblemException e) {
                // recorded as FAILED by importStream
            } catch (IOException | RuntimeException e) {
                fail(job, new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, "import-failed", "Import failed",
                        "reading '" + request.path() + "' failed: " + e), storage.tmpFile(job.id()));
            } finally {
                claimedNames.remove(name);
            }
        });
        return get(job.id());
    }

    /** The most recent imports (at most 500), newest first. */
    public List<ImportView> list() {
        Map<UUID, Job> live = Map.copyOf(running); // before the rows: see get
        return imports.findTop500ByOrderByStartedAtDesc().stream().map(e -> {
            Job job = live.get(e.getId());
            return e.view(job == null ? null : job.bytes().get());
        }).toList();
    }

    /** @throws ProblemException 404 if there is no such import */
    public ImportView get(UUID id) {
        // the running job is looked up before the row is read: a job leaves `running` only after its row
        // committed DONE or FAILED, so a row read after a miss is never a stale RUNNING one (whose
        // bytesDone lags the live count, and progress would seem to go backwards)
        Job job = running.get(id);
        return imports.findById(id).map(e -> e.view(job == null ? null : job.bytes().get()))
                .orElseThrow(() -> ProblemException.notFound("import-not-found",
                        "there is no import " + id).with("importId", id));
    }

    private void claim(String name) {
        if (!claimedNames.add(name)) {
            throw nameTaken(name, "an import of an image named '" + name + "' is already running");
        }
        boolean exists;
        try {
            exists = catalog.exists(name);
        } catch (RuntimeException e) {
            claimedNames.remove(name);
            throw e;
        }
        if (exists) {
            claimedNames.remove(name);
            throw nameTaken(name, "an image named '" + name + "' already exists");
        }
    }

    private Job begin(ImportKind kind, String name, String source, Long total) {
        UUID id = UUID.randomUUID();
        imports.save(new ImportEntity(id, kind, name, source, total, now(), owner));
        Job job = new Job(id, kind, name, System.nanoTime(), new AtomicLong());
        running.put(id, job);
        log.info("import {} of '{}' started ({}{})", id, name, kind == ImportKind.PATH ? "from " + source : "upload",
                total == null ? "" : ", " + human(total));
        return job;
    }

    /** @param paced whether the reads wait for {@link ImportThrottle} (path imports) or not (uploads) */
    private ImageView importStream(Job job, InputStream source, boolean paced) {
        Path tmp = storage.tmpFile(job.id());
        PieceSplitter splitter = new PieceSplitter(properties.pieceBytes(), properties.maxImageSize().toBytes());
        SourceStream in = new SourceStream(source);
        PieceSplitter.Split split;
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            split = splitter.split(in, out, progress(job, paced));
            out.force(true);
        } catch (PieceSplitter.ImageTooLargeException e) {
            throw fail(job, tooLarge(-1, e.limit()), tmp);
        } catch (IOException | UncheckedIOException e) {
            Throwable cause = e instanceof UncheckedIOException u ? u.getCause() : e;
            if (cause instanceof InterruptedIOException || Thread.currentThread().isInterrupted()) {
                throw fail(job, new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "import-interrupted",
                        "Import interrupted", "the import was interrupted (the seed is shutting down)"), tmp);
            }
            if (in.failed) {
                throw fail(job, ProblemException.badRequest("import-stream-broken",
                        "reading the image broke off after " + job.bytes().get() + " bytes: " + cause), tmp);
            }
            throw fail(job, new ProblemException(HttpStatus.INSUFFICIENT_STORAGE, "storage-failed", "Storage failed",
                    "storing the image failed: " + cause), tmp);
        } catch (RuntimeException e) {
            throw fail(job, new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, "import-failed", "Import failed",
                    "the import failed: " + e), tmp);
        }
        if (split.size() == 0) {
            throw fail(job, empty(job.name()), tmp);
        }
        UUID imageId = UUID.randomUUID();
        String relative = storage.relativeImageFile(imageId);
        Path file = storage.resolve(relative);
        int chosen;
        try {
            chosen = imports.imageChosen(job.id(), imageId, ImportState.RUNNING);
        } catch (RuntimeException e) {
            throw fail(job, new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, "import-failed", "Import failed",
                    "recording the import failed: " + e), tmp);
        }
        if (chosen != 1) {
            throw fail(job, new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "import-interrupted",
                    "Import interrupted", "the import's lease lapsed (another seed took this one for gone)"), tmp);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
            Storage.syncDirectory(storage.imagesDir());
        } catch (IOException e) {
            throw fail(job, new ProblemException(HttpStatus.INSUFFICIENT_STORAGE, "storage-failed", "Storage failed",
                    "storing the image failed: " + e), tmp, file);
        }
        ImageView image;
        try {
            image = tx.execute(status -> {
                ImageView v = catalog.add(imageId, job.name(), split, relative);
                if (imports.done(job.id(), imageId, split.size(), now(), ImportState.DONE, ImportState.RUNNING) != 1) {
                    throw new IllegalStateException("import " + job.id() + " is no longer RUNNING");
                }
                return v;
            });
        } catch (DataIntegrityViolationException e) {
            throw fail(job, nameTaken(job.name(), "an image named '" + job.name() + "' was catalogued meanwhile"), file);
        } catch (RuntimeException e) {
            throw fail(job, new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, "import-failed", "Import failed",
                    "recording the image failed: " + e), file);
        }
        running.remove(job.id());
        double seconds = Math.max(1e-9, (System.nanoTime() - job.startNanos()) / 1e9);
        meters.counter("bootswarm.seed.imports", "kind", tag(job.kind()), "outcome", "done").increment();
        meters.counter("bootswarm.seed.imports.bytes", "kind", tag(job.kind())).increment(split.size());
        log.info("import {} of '{}' done: image {}, {} in {} pieces, {} zero, {} s, {} MB/s", job.id(), job.name(),
                imageId, human(split.size()), split.pieceCount(),
                String.format(Locale.ROOT, "%.1f %%", 100.0 * split.zero().cardinality() / split.pieceCount()),
                String.format(Locale.ROOT, "%.2f", seconds),
                String.format(Locale.ROOT, "%.1f", split.size() / seconds / 1e6));
        return image;
    }

    private LongConsumer progress(Job job, boolean paced) {
        long[] lastWrite = {System.nanoTime()};
        long[] passed = {0};
        return bytes -> {
            job.bytes().set(bytes);
            long now = System.nanoTime();
            if (now - lastWrite[0] >= PROGRESS_WRITE_NANOS) {
                lastWrite[0] = now;
                try {
                    imports.progress(job.id(), bytes, ImportState.RUNNING);
                } catch (RuntimeException e) {
                    log.debug("could not record the progress of import {}: {}", job.id(), e.toString());
                }
            }
            if (paced) {
                try {
                    throttle.pass(Math.toIntExact(bytes - passed[0]));
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new UncheckedIOException(new InterruptedIOException("import interrupted"));
                }
                passed[0] = bytes;
            }
        };
    }

    /** Deletes {@code files}, records the import as FAILED, and returns {@code problem} for the caller to throw. */
    private ProblemException fail(Job job, ProblemException problem, Path... files) {
        for (Path f : files) {
            try {
                Files.deleteIfExists(f);
            } catch (IOException e) {
                log.warn("could not delete {} after a failed import: {}", f, e.toString());
            }
        }
        try {
            imports.failed(job.id(), job.bytes().get(), problem.getMessage(), now(), ImportState.FAILED,
                    ImportState.RUNNING);
        } catch (RuntimeException e) {
            log.warn("could not record the failure of import {}: {}", job.id(), e.toString());
        }
        running.remove(job.id());
        meters.counter("bootswarm.seed.imports", "kind", tag(job.kind()), "outcome", "failed").increment();
        log.info("import {} of '{}' failed after {}: {}", job.id(), job.name(), human(job.bytes().get()),
                problem.getMessage());
        return problem;
    }

    private static ProblemException empty(String name) {
        return ProblemException.badRequest("empty-image", "the image '" + name + "' has no bytes");
    }

    private static ProblemException tooLarge(long size, long max) {
        ProblemException p = new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "image-too-large", "Image too large",
                (size >= 0 ? "the image has " + size + " bytes; " : "the image is larger than the limit; ")
                        + "the largest image accepted has " + max + " bytes").with("limit", max);
        return size >= 0 ? p.with("size", size) : p;
    }

    private static ProblemException nameTaken(String name, String detail) {
        return ProblemException.conflict("image-name-taken", detail).with("name", name);
    }

    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private static String tag(ImportKind kind) {
        return kind.name().toLowerCase(Locale.ROOT);
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s", v, units[u]);
    }

    @Override
    public void destroy() throws InterruptedException {
        background.shutdownNow();
        if (!background.awaitTermination(10, TimeUnit.SECONDS)) {
            log.warn("path imports did not stop within 10 s");
        }
    }

    /** Remembers whether a read (as opposed to a write) failed, to tell a broken source from a broken disk. */
    private static final class SourceStream extends FilterInputStream {
        volatile boolean failed;

        SourceStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                failed = true;
                throw e;
            }
        }
    }
}
