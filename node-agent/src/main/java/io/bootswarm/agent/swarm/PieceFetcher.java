package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.time.MonotonicClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Fetches pieces of one image from the swarm's peers: one fetch per piece however many disks want
 * it, verified against the manifest's SHA-256 before it is stored; a peer whose bytes fail
 * verification is banned and the piece fetched from another, up to {@code maxAttempts} peers.
 *
 * <p>A <em>demand</em> fetch ({@link #require}) goes over urgent connections, which our peers serve
 * before everything else; a demand for a piece being prefetched <em>escalates</em> that fetch to
 * urgent (withdrawing the slower request). A <em>prefetch</em> ({@link #prefetch}) asks other
 * agents first and a seed only while one of {@code seedPrefetchSlots} is free; with the seed
 * partition on, only for a piece this host owns, or one no agent got within {@code pieceTimeout}.
 * Time (piece timeouts, how long to wait for a usable connection, when a prefetch may go to the
 * seed) is read from the swarm's {@link InstantSource}.
 */
final class PieceFetcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceFetcher.class);
    /** How long a fetch waits for a change before it looks at its connections again. */
    private static final Duration RECHECK = Duration.ofMillis(20);

    private final Manifest manifest;
    private final PieceStore store;
    private final SwarmSettings settings;
    private final ServedPieces served;
    private final PeerDirectory peers;
    private final ChangeSignal signal;
    private final InstantSource clock;
    private final ExecutorService executor;
    private final Map<Integer, Fetch> inFlight = new ConcurrentHashMap<>();
    private final Semaphore seedPrefetch;
    private final Map<String, AtomicLong> piecesByPeer = new ConcurrentHashMap<>();
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong piecesFetched = new AtomicLong();
    private final AtomicLong piecesFromSeed = new AtomicLong();
    private final AtomicLong verificationFailures = new AtomicLong();
    private final AtomicLong escalations = new AtomicLong();
    private final Timer demandWait;
    private final Counter fetchedBytesCounter;
    private volatile boolean closed;

    /** One piece being fetched; a prefetch can be raised to a demand fetch while it runs. */
    private final class Fetch implements Runnable {
        final int piece;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final Instant created = clock.instant();
        volatile boolean urgent;
        volatile PeerConnection active;

        Fetch(int piece, boolean urgent) {
            this.piece = piece;
            this.urgent = urgent;
        }

        void escalate() {
            if (!urgent) {
                urgent = true;
                escalations.incrementAndGet();
                PeerConnection a = active;
                if (a != null && !a.isUrgent()) {
                    a.cancel(piece);
                }
                signal.signal();
            }
        }

        @Override
        public void run() {
            try {
                fetch(this);
                done.complete(null);
            } catch (Throwable t) {
                done.completeExceptionally(t);
            } finally {
                inFlight.remove(piece, this);
            }
        }
    }

    /** @param executor runs the fetches */
    PieceFetcher(Manifest manifest, PieceStore store, SwarmSettings settings, ServedPieces served, PeerDirectory peers,
                 ChangeSignal signal, InstantSource clock, ExecutorService executor, MeterRegistry meters) {
        this.manifest = manifest;
        this.store = store;
        this.settings = settings;
        this.served = served;
        this.peers = peers;
        this.signal = signal;
        this.clock = clock;
        this.executor = executor;
        this.seedPrefetch = new Semaphore(settings.seedPrefetchSlots());
        this.demandWait = Timer.builder("bootswarm.agent.demand.wait")
                .description("time a read waits for a missing piece").tag("image", manifest.name())
                .publishPercentiles(0.5, 0.99).register(meters);
        this.fetchedBytesCounter = Counter.builder("bootswarm.agent.fetched.bytes").tag("image", manifest.name())
                .register(meters);
    }

    /** Returns once {@code piece} is in the store: a demand fetch, ahead of any prefetch. */
    void require(int piece) throws IOException {
        if (store.contains(manifest.hash(piece))) {
            return;
        }
        Instant start = clock.instant();
        try {
            start(piece, true).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for piece " + piece, e);
        } finally {
            demandWait.record(Duration.between(start, clock.instant()));
        }
    }

    /** Fetches {@code piece} ahead of need; completes when it is stored (at once if it is held). */
    CompletableFuture<Void> prefetch(int piece) {
        if (served.has(piece)) {
            return CompletableFuture.completedFuture(null);
        }
        return start(piece, false);
    }

    boolean inFlight(int piece) {
        return inFlight.containsKey(piece);
    }

    /** True while any piece is being fetched. */
    boolean fetching() {
        return !inFlight.isEmpty();
    }

    private CompletableFuture<Void> start(int piece, boolean urgent) {
        Fetch mine = new Fetch(piece, urgent);
        Fetch existing = inFlight.putIfAbsent(piece, mine);
        if (existing != null) {
            if (urgent) {
                existing.escalate();
            }
            return existing.done;
        }
        executor.execute(mine);
        return mine.done;
    }

    private void fetch(Fetch f) throws IOException, InterruptedException {
        int piece = f.piece;
        PieceHash hash = manifest.hash(piece);
        if (store.contains(hash)) {
            served.markHeld(piece);
            return;
        }
        int length = manifest.pieceLength(piece);
        Set<String> tried = new HashSet<>();
        IOException last = null;
        int attempts = 0;
        while (attempts < settings.maxAttempts() && !closed) {
            boolean urgent = f.urgent;
            Choice choice;
            try {
                choice = connectionFor(f, tried);
            } catch (IOException e) {
                last = e;
                attempts++;
                continue;
            }
            PeerConnection c = choice.connection();
            String key = PeerDirectory.key(c.peer());
            f.active = c;
            try {
                if (!settings.requestLatency().isZero()) {
                    Thread.sleep(settings.requestLatency()); // emulated link latency (benchmarks): real time
                }
                byte[] bytes = c.fetch(piece, length, settings.pieceTimeout());
                Optional<VerifiedPiece> verified = VerifiedPiece.verify(hash, bytes, length);
                if (verified.isEmpty()) {
                    verificationFailures.incrementAndGet();
                    peers.ban(c, "piece " + piece + " failed SHA-256 verification");
                    attempts++;
                    continue;
                }
                store.put(verified.get()); // the store tells every swarm holding this piece, this one included
                served.pieceArrived(piece);
                piecesFetched.incrementAndGet();
                if (c.peer().seed()) {
                    piecesFromSeed.incrementAndGet();
                }
                bytesFetched.addAndGet(length);
                fetchedBytesCounter.increment(length);
                piecesByPeer.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
                return;
            } catch (IOException e) {
                if (f.urgent && !urgent) {
                    continue; // the prefetch request was withdrawn for a demand fetch: not a failed attempt
                }
                last = e;
                attempts++;
                tried.add(key);
                log.debug("piece {} from {} failed: {}", piece, c.peer(), e.toString());
            } finally {
                f.active = null;
                if (choice.seedSlot()) {
                    seedPrefetch.release();
                    signal.signal();
                }
            }
        }
        throw new IOException("no peer delivered a verified copy of piece " + piece + " of " + manifest.name()
                + " after " + attempts + " attempts" + (last == null ? "" : ": " + last.getMessage()), last);
    }

    /** A connection to fetch over, and whether the fetch holds one of the seed's prefetch slots. */
    private record Choice(PeerConnection connection, boolean seedSlot) {
    }

    /**
     * A connection of the fetch's class (urgent or not) that has the piece and has unchoked us:
     * peers not yet tried for this piece first, then other agents before seeds, then the least busy.
     * A prefetch uses a seed only while a seed prefetch slot is free. Gives up after a connect and
     * an unchoke timeout (demand) or three piece timeouts (prefetch), and asks the tracker again.
     */
    private Choice connectionFor(Fetch f, Set<String> tried) throws IOException, InterruptedException {
        Instant start = clock.instant();
        while (true) {
            boolean urgent = f.urgent;
            long limit = urgent ? settings.connectTimeout().plus(settings.unchokeTimeout()).toNanos()
                    : settings.pieceTimeout().multipliedBy(3).toNanos();
            List<PeerConnection> ready = peers.ready(urgent, f.piece);
            ready.sort(Comparator.comparing((PeerConnection c) -> tried.contains(PeerDirectory.key(c.peer())))
                    .thenComparing(c -> c.peer().seed())
                    .thenComparingInt(PeerConnection::outstandingPieces));
            boolean agentHasIt = !urgent && peers.holders(f.piece) > 0;
            for (PeerConnection c : ready) {
                if (urgent || !c.peer().seed()) {
                    return new Choice(c, false);
                }
                // a prefetch leaves the seed alone while another agent holds the piece, even one that
                // chokes us now: its upload slots rotate, the seed's upload is the swarm's bottleneck
                if (!agentHasIt && maySeedPrefetch(f) && seedPrefetch.tryAcquire()) {
                    return new Choice(c, true);
                }
            }
            peers.ensureConnections(urgent);
            if (MonotonicClock.nanosBetween(start, clock.instant()) > limit) {
                peers.announceSoon();
                throw new IOException("no connected peer has piece " + f.piece + " of " + manifest.name()
                        + " (known peers: " + peers.knownPeers() + ", banned: " + peers.banned().size() + ")");
            }
            signal.await(RECHECK);
        }
    }

    /** Whether a prefetch may use the seed: an owned piece, or one no agent got within a piece timeout. */
    private boolean maySeedPrefetch(Fetch f) {
        return !settings.seedPartition() || peers.partition().owns(f.piece)
                || MonotonicClock.nanosBetween(f.created, clock.instant()) > settings.pieceTimeout().toNanos();
    }

    // ---- figures -------------------------------------------------------------------------------

    long bytesFetched() {
        return bytesFetched.get();
    }

    long piecesFetched() {
        return piecesFetched.get();
    }

    long piecesFromSeed() {
        return piecesFromSeed.get();
    }

    long verificationFailures() {
        return verificationFailures.get();
    }

    long escalations() {
        return escalations.get();
    }

    /** Pieces fetched per peer ({@code host:port}), sorted. */
    Map<String, Long> piecesByPeer() {
        Map<String, Long> byPeer = new TreeMap<>();
        piecesByPeer.forEach((k, v) -> byPeer.put(k, v.get()));
        return byPeer;
    }

    /** Lets the fetches under way give up after their current attempt. */
    @Override
    public void close() {
        closed = true;
    }
}
