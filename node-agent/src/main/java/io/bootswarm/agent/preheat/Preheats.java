package io.bootswarm.agent.preheat;

import io.bootswarm.agent.disk.PieceClaim;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.profile.ProfileClient;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.common.events.PreheatCommand;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.profile.ProfileDocument;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * The preheats of this host. A START opens the image's swarm session as a launch does (manifest from the
 * catalog, the host's shared session and piece store), looks up the pieces (the access profile's for scope
 * PROFILE, every non-zero piece for ALL) and runs a {@link Preheater} on a virtual thread of its own, holding a
 * {@link PieceClaim} on the pieces while it runs (afterwards they are ordinary cached pieces, evicted by LRU like
 * any other); its progress goes to the tracker every {@code reportInterval} while it changes, and at the end.
 * A CANCEL stops it. Both are idempotent: a START of a preheat this host runs or ran does nothing, a CANCEL of
 * one it does not run reports how it ended (CANCELLED when unknown).
 *
 * <p>Meters: {@code bootswarm.agent.preheat.requests} (fetches sent), {@code bootswarm.agent.preheat.pieces}
 * and {@code .bytes} (fetched), {@code bootswarm.agent.preheat.running}, {@code bootswarm.agent.preheat.ended}
 * by state.
 */
public final class Preheats implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Preheats.class);

    /** Ended preheats kept (to answer a late CANCEL or a redelivered START) before the oldest are forgotten. */
    static final int KEPT_ENDED = 256;

    /** A preheat of this host: running while {@code preheater} has not returned. */
    private record Run(UUID id, long started, CompletableFuture<Preheater> preheater,
                       CompletableFuture<Preheater.Progress> end) {
    }

    private final ManifestCatalog manifests;
    private final SwarmManager swarms;
    private final ProfileClient profiles;
    private final PreheatReporter reporter;
    private final PreheatProperties properties;
    private final InstantSource clock;
    private final MeterRegistry meters;
    private final Map<UUID, Run> runs = new ConcurrentHashMap<>();
    private final AtomicLong started = new AtomicLong();
    private final Counter requests;
    private final Counter pieces;
    private final Counter bytes;
    private volatile boolean closed;

    public Preheats(ManifestCatalog manifests, SwarmManager swarms, ProfileClient profiles, PreheatReporter reporter,
                    PreheatProperties properties, InstantSource clock, MeterRegistry meters) {
        this.manifests = manifests;
        this.swarms = swarms;
        this.profiles = profiles;
        this.reporter = reporter;
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
        this.requests = Counter.builder("bootswarm.agent.preheat.requests").description("piece fetches preheats sent")
                .register(meters);
        this.pieces = Counter.builder("bootswarm.agent.preheat.pieces").description("pieces preheats fetched")
                .register(meters);
        this.bytes = Counter.builder("bootswarm.agent.preheat.bytes").description("bytes preheats fetched")
                .baseUnit("bytes").register(meters);
        Gauge.builder("bootswarm.agent.preheat.running", runs,
                        m -> m.values().stream().filter(r -> !r.end().isDone()).count())
                .description("preheats running on this host").register(meters);
    }

    /** Carries out a command for this host (the caller checked the host). */
    public void on(PreheatCommand c) {
        if (c.preheatId() == null || c.action() == null) {
            log.warn("skipping preheat command {} without a preheat id or action", c.eventId());
            return;
        }
        switch (c.action()) {
            case START -> start(c);
            case CANCEL -> cancel(c.preheatId());
        }
    }

    private void start(PreheatCommand c) {
        if (closed) {
            return;
        }
        forgetOldEnded();
        Run run = new Run(c.preheatId(), started.incrementAndGet(), new CompletableFuture<>(),
                new CompletableFuture<>());
        if (runs.putIfAbsent(c.preheatId(), run) != null) {
            log.debug("preheat {} already known here; START skipped", c.preheatId());
            return;
        }
        Thread.ofVirtual().name("preheat-" + c.preheatId()).start(() -> run.end().complete(execute(c, run)));
    }

    private void forgetOldEnded() {
        List<Run> ended = runs.values().stream().filter(r -> r.end().isDone())
                .sorted(Comparator.comparingLong(Run::started)).toList();
        for (int i = 0; i < ended.size() - KEPT_ENDED; i++) {
            runs.remove(ended.get(i).id());
        }
    }

    private Preheater.Progress execute(PreheatCommand c, Run run) {
        UUID id = c.preheatId();
        Preheater.Progress end;
        try {
            if (c.imageId() == null) {
                throw new IllegalArgumentException("invalid preheat command: no imageId");
            }
            Manifest manifest = manifests.get(c.imageId());
            int[] set = pieces(c, manifest);
            SwarmSession session = swarms.session(manifest);
            Preheater p = new Preheater(set, source(session, manifest), properties.maxBytesPerSecond().toBytes(),
                    properties.concurrency(), properties.attempts(), clock);
            run.preheater().complete(p);
            List<PieceHash> hashes = IntStream.of(set).mapToObj(manifest::hash).toList();
            log.info("preheat {} of image {} ({}): {} pieces, scope {}", id, manifest.name(), c.imageId(), set.length,
                    c.scope());
            try (PieceClaim claim = swarms.store().claim("preheat " + id, hashes, () -> true)) {
                Thread progress = Thread.ofVirtual().name("preheat-progress-" + id).start(() -> reportWhileRunning(id, p));
                try {
                    end = p.run();
                } finally {
                    progress.interrupt();
                }
            }
        } catch (IOException | RuntimeException e) {
            run.preheater().completeExceptionally(e);
            String why = e.getMessage() == null ? e.toString() : e.getMessage();
            end = new Preheater.Progress(Preheater.State.FAILED, 0, 0, 0, 0, 0, false, why);
        } catch (InterruptedException e) {
            end = new Preheater.Progress(Preheater.State.CANCELLED, 0, 0, 0, 0, 0, false, "agent shutting down");
        }
        log.info("preheat {} {}: {} of {} pieces, {} bytes fetched{}", id, end.state(), end.piecesDone(),
                end.piecesTotal(), end.bytesFetched(), end.detail() == null ? "" : ": " + end.detail());
        Counter.builder("bootswarm.agent.preheat.ended").description("preheats ended on this host, by state")
                .tag("state", end.state().name().toLowerCase(Locale.ROOT)).register(meters).increment();
        reporter.report(id, end);
        return end;
    }

    /** The preheat's pieces: non-zero, in the image, profile order first; each once. */
    private int[] pieces(PreheatCommand c, Manifest manifest) {
        if (c.scope() == PreheatCommand.Scope.ALL) {
            return IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).toArray();
        }
        String workload = c.workload() == null ? LaunchOptions.DEFAULT_WORKLOAD : c.workload();
        ProfileDocument profile = profiles.profile(manifest.imageId(), workload).orElseThrow(() ->
                new IllegalArgumentException("no profile of image " + manifest.imageId() + " for workload " + workload));
        if (profile.pieceSize() != manifest.pieceSize()) {
            throw new IllegalArgumentException("the profile's piece size " + profile.pieceSize()
                    + " is not the image's " + manifest.pieceSize());
        }
        return IntStream.of(profile.pieces()).filter(p -> p < manifest.pieceCount() && !manifest.isZero(p))
                .distinct().toArray();
    }

    private Preheater.Source source(SwarmSession session, Manifest manifest) {
        return new Preheater.Source() {
            @Override
            public boolean have(int piece) {
                return session.have(piece);
            }

            @Override
            public CompletableFuture<Void> fetch(int piece) {
                requests.increment();
                return session.prefetch(piece).whenComplete((ok, error) -> {
                    if (error == null) {
                        pieces.increment();
                        bytes.increment(manifest.pieceLength(piece));
                    }
                });
            }

            @Override
            public int pieceLength(int piece) {
                return manifest.pieceLength(piece);
            }
        };
    }

    private void reportWhileRunning(UUID id, Preheater p) {
        Preheater.Progress last = null;
        try {
            while (true) {
                Preheater.Progress now = p.progress();
                if (now.state() != Preheater.State.RUNNING) {
                    return;
                }
                if (last == null || now.piecesDone() != last.piecesDone() || now.piecesTotal() != last.piecesTotal()) {
                    reporter.report(id, now);
                    last = now;
                }
                Thread.sleep(properties.reportInterval());
            }
        } catch (InterruptedException e) {
            // the preheat ended
        } catch (RuntimeException e) {
            log.debug("preheat {}: progress report failed: {}", id, e.toString());
        }
    }

    /** Cancels a preheat; one not running here reports how it ended (CANCELLED when unknown). */
    public void cancel(UUID id) {
        Run run = runs.get(id);
        if (run == null) {
            reporter.report(id, new Preheater.Progress(Preheater.State.CANCELLED, 0, 0, 0, 0, 0, false, null));
            return;
        }
        if (run.end().isDone()) {
            reporter.report(id, run.end().join());
            return;
        }
        run.preheater().thenAccept(Preheater::cancel);
        log.info("preheat {} cancel requested", id);
    }

    /** Where a preheat of this host stands, if it started here. */
    public Optional<Preheater.Progress> progress(UUID id) {
        Run run = runs.get(id);
        if (run == null) {
            return Optional.empty();
        }
        if (run.end().isDone()) {
            return Optional.of(run.end().join());
        }
        Preheater p = run.preheater().getNow(null);
        return Optional.of(p != null ? p.progress()
                : new Preheater.Progress(Preheater.State.RUNNING, 0, 0, 0, 0, 0, false, null));
    }

    /** Cancels every running preheat. */
    @Override
    public void close() {
        closed = true;
        for (Run r : new ArrayList<>(runs.values())) {
            r.preheater().thenAccept(Preheater::cancel);
        }
    }
}
