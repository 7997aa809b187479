package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceSource;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.ServedSwarm;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * This host's part in one image's swarm. As a {@link PieceSource} it turns a missing piece into a
 * demand fetch: one fetch per piece however many readers wait for it, sent to a connected peer
 * that has the piece (other agents first, the seed last, to spare it), verified against the
 * manifest's SHA-256 before it is stored; a peer whose bytes fail verification is banned from
 * the swarm and the piece is fetched again from another. As a {@link ServedSwarm} it serves the
 * pieces the host holds to other peers. A background thread announces to the tracker and keeps
 * connections open to the peers it names.
 */
public final class SwarmSession implements PieceSource, ServedSwarm, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SwarmSession.class);
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(90);
    private static final Duration RECONNECT_BACKOFF = Duration.ofSeconds(3);

    private final Manifest manifest;
    private final PieceStore store;
    private final Announcer announcer;
    private final SwarmSettings settings;
    private final byte[] peerId;
    private final int listenPort;
    private final PieceSet served;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Integer, CompletableFuture<Void>> inFlight = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<PeerConnection>> connections = new ConcurrentHashMap<>();
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
    private final Set<String> banned = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> piecesByPeer = new ConcurrentHashMap<>();
    private final Object stateChanged = new Object();
    private final Semaphore announceNow = new Semaphore(0);
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong piecesFetched = new AtomicLong();
    private final AtomicLong verificationFailures = new AtomicLong();
    private final AtomicLong bytesUploaded = new AtomicLong();
    private final Timer demandWait;
    private final Counter fetchedBytesCounter;
    private final Thread announceThread;
    private volatile List<Peer> known = List.of();
    private volatile boolean closed;

    public SwarmSession(Manifest manifest, PieceStore store, Announcer announcer, SwarmSettings settings,
                        byte[] peerId, int listenPort, MeterRegistry meters) {
        this.manifest = manifest;
        this.store = store;
        this.announcer = announcer;
        this.settings = settings;
        this.peerId = peerId.clone();
        this.listenPort = listenPort;
        this.served = new PieceSet(manifest.pieceCount());
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (manifest.isZero(i) || store.contains(manifest.hash(i))) {
                served.add(i);
            }
        }
        String image = manifest.name();
        this.demandWait = Timer.builder("bootswarm.agent.demand.wait")
                .description("time a read waits for a missing piece").tag("image", image)
                .publishPercentiles(0.5, 0.99).register(meters);
        this.fetchedBytesCounter = Counter.builder("bootswarm.agent.fetched.bytes").tag("image", image)
                .register(meters);
        this.announceThread = Thread.ofVirtual().name("announce-" + image).start(this::announceLoop);
        if (settings.fillConcurrency() > 0) {
            Thread.ofVirtual().name("fill-" + image).start(this::fill);
        }
    }

    public Manifest manifest() {
        return manifest;
    }

    // ---- demand fetch -------------------------------------------------------------------------

    @Override
    public void require(int piece) throws IOException {
        if (store.contains(manifest.hash(piece))) {
            return;
        }
        long start = System.nanoTime();
        CompletableFuture<Void> mine = new CompletableFuture<>();
        CompletableFuture<Void> existing = inFlight.putIfAbsent(piece, mine);
        CompletableFuture<Void> f = existing != null ? existing : mine;
        if (existing == null) {
            executor.execute(() -> {
                try {
                    fetch(piece);
                    mine.complete(null);
                } catch (Throwable t) {
                    mine.completeExceptionally(t);
                } finally {
                    inFlight.remove(piece, mine);
                }
            });
        }
        try {
            f.get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for piece " + piece, e);
        } finally {
            demandWait.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    private void fetch(int piece) throws IOException, InterruptedException {
        PieceHash hash = manifest.hash(piece);
        if (store.contains(hash)) {
            served.add(piece);
            return;
        }
        int length = manifest.pieceLength(piece);
        Set<String> tried = new HashSet<>();
        IOException last = null;
        for (int attempt = 0; attempt < settings.maxAttempts(); attempt++) {
            PeerConnection c;
            try {
                c = connectionFor(piece, tried);
            } catch (IOException e) {
                last = e;
                continue;
            }
            String key = key(c.peer());
            tried.add(key);
            try {
                byte[] bytes = c.await(piece, c.requestPiece(piece, length), settings.pieceTimeout());
                Optional<VerifiedPiece> verified = VerifiedPiece.verify(hash, bytes, length);
                if (verified.isEmpty()) {
                    verificationFailures.incrementAndGet();
                    ban(c, "piece " + piece + " failed SHA-256 verification");
                    continue;
                }
                store.put(verified.get());
                served.add(piece);
                piecesFetched.incrementAndGet();
                bytesFetched.addAndGet(length);
                fetchedBytesCounter.increment(length);
                piecesByPeer.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
                return;
            } catch (IOException e) {
                last = e;
                log.debug("piece {} from {} failed: {}", piece, c.peer(), e.toString());
            }
        }
        throw new IOException("no peer delivered a verified copy of piece " + piece + " of " + manifest.name()
                + " after " + settings.maxAttempts() + " attempts" + (last == null ? "" : ": " + last.getMessage()), last);
    }

    /**
     * A connection that has {@code piece} and has unchoked us: preferring peers not yet tried for
     * this piece, then other agents over seeds, then the least busy.
     */
    private PeerConnection connectionFor(int piece, Set<String> tried) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + settings.connectTimeout().plus(settings.unchokeTimeout()).toNanos();
        while (true) {
            List<PeerConnection> ready = new ArrayList<>();
            for (CompletableFuture<PeerConnection> f : connections.values()) {
                PeerConnection c = connected(f);
                if (c != null && c.isOpen() && !c.isChoked() && c.has(piece) && !banned.contains(key(c.peer()))) {
                    ready.add(c);
                }
            }
            Optional<PeerConnection> best = ready.stream().min(Comparator
                    .comparing((PeerConnection c) -> tried.contains(key(c.peer())))
                    .thenComparing(c -> c.peer().seed())
                    .thenComparingInt(PeerConnection::outstandingPieces));
            if (best.isPresent()) {
                return best.get();
            }
            ensureConnections();
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                announceNow.release();
                throw new IOException("no connected peer has piece " + piece + " of " + manifest.name()
                        + " (known peers: " + known.size() + ", banned: " + banned.size() + ")");
            }
            synchronized (stateChanged) {
                stateChanged.wait(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(left), 20)));
            }
        }
    }

    private void ensureConnections() {
        connections.entrySet().removeIf(e -> e.getValue().state() == Future.State.FAILED
                || (connected(e.getValue()) != null && !connected(e.getValue()).isOpen()));
        List<Peer> candidates = new ArrayList<>(known);
        candidates.sort(Comparator.comparing(Peer::seed));
        long now = System.nanoTime();
        for (Peer p : candidates) {
            if (connections.size() >= settings.maxConnections()) {
                return;
            }
            String key = key(p);
            Long failed = failedAt.get(key);
            if (banned.contains(key) || connections.containsKey(key)
                    || (failed != null && now - failed < RECONNECT_BACKOFF.toNanos())) {
                continue;
            }
            connections.computeIfAbsent(key, k -> CompletableFuture.supplyAsync(() -> connect(p), executor));
        }
    }

    private PeerConnection connect(Peer p) {
        try {
            PeerConnection c = PeerConnection.open(p, manifest.swarmId(), peerId, manifest.pieceCount(),
                    settings.connectTimeout(), this::signal);
            signal();
            return c;
        } catch (IOException e) {
            failedAt.put(key(p), System.nanoTime());
            log.debug("could not connect to {}: {}", p, e.toString());
            signal();
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** The connection if it was established, null while connecting or after a failed connect. */
    private static PeerConnection connected(CompletableFuture<PeerConnection> f) {
        return f.state() == Future.State.SUCCESS ? f.resultNow() : null;
    }

    private void ban(PeerConnection c, String why) {
        String key = key(c.peer());
        if (banned.add(key)) {
            log.warn("banning peer {} from swarm {}: {}", c.peer(), manifest.name(), why);
        }
        c.close();
        connections.remove(key);
    }

    private void signal() {
        synchronized (stateChanged) {
            stateChanged.notifyAll();
        }
    }

    private static String key(Peer p) {
        return p.host() + ":" + p.port();
    }

    // ---- tracker -------------------------------------------------------------------------------

    private void announceLoop() {
        String event = "started";
        boolean failing = false;
        boolean completeSent = false;
        while (!closed) {
            Duration wait;
            try {
                long left = bytesLeft();
                String e = event != null ? event : (left == 0 && !completeSent ? "completed" : null);
                Announcer.Result r = announcer.announce(new Announcer.Announce(manifest.swarmId(), peerId, listenPort,
                        left, bytesUploaded.get(), bytesFetched.get(), e));
                completeSent |= "completed".equals(e) || (left == 0 && "started".equals(e));
                event = null;
                known = List.copyOf(r.peers());
                ensureConnections();
                signal();
                if (failing) {
                    log.info("tracker reachable again for swarm {}", manifest.name());
                    failing = false;
                }
                wait = r.interval().compareTo(Duration.ofSeconds(30)) < 0 ? r.interval() : Duration.ofSeconds(30);
            } catch (IOException | RuntimeException e) {
                if (!failing) {
                    log.warn("announce for swarm {} failed, retrying: {}", manifest.name(), e.toString());
                    failing = true;
                }
                wait = settings.announceRetry();
            }
            for (CompletableFuture<PeerConnection> f : connections.values()) {
                PeerConnection c = connected(f);
                if (c != null && c.isOpen()) {
                    c.keepAlive(KEEP_ALIVE);
                }
            }
            try {
                if (announceNow.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                    Thread.sleep(settings.announceRetry()); // at most one extra announce per retry period
                    announceNow.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private long bytesLeft() {
        long left = 0;
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!served.contains(i)) {
                left += manifest.pieceLength(i);
            }
        }
        return left;
    }

    // ---- background fill -----------------------------------------------------------------------

    private void fill() {
        Semaphore slots = new Semaphore(settings.fillConcurrency());
        for (int i = 0; i < manifest.pieceCount() && !closed; i++) {
            if (served.contains(i)) {
                continue;
            }
            int piece = i;
            try {
                slots.acquire();
            } catch (InterruptedException e) {
                return;
            }
            executor.execute(() -> {
                try {
                    require(piece);
                } catch (IOException e) {
                    log.debug("background fill of piece {} failed: {}", piece, e.toString());
                } finally {
                    slots.release();
                }
            });
        }
    }

    // ---- serving -------------------------------------------------------------------------------

    @Override
    public int pieceCount() {
        return manifest.pieceCount();
    }

    @Override
    public int pieceLength(int piece) {
        return manifest.pieceLength(piece);
    }

    @Override
    public PieceSet available() {
        return served;
    }

    @Override
    public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
        if (manifest.isZero(piece)) {
            Arrays.fill(dst, 0, length, (byte) 0);
            return;
        }
        store.read(manifest.hash(piece), begin, ByteBuffer.wrap(dst, 0, length));
    }

    @Override
    public void uploaded(int bytes) {
        bytesUploaded.addAndGet(bytes);
    }

    // ---- figures -------------------------------------------------------------------------------

    /** What this session has done so far. */
    public record Stats(int piecesPresent, int piecesTotal, long piecesFetched, long bytesFetched,
                        long verificationFailures, long bytesUploaded, Map<String, Long> piecesByPeer,
                        Set<String> bannedPeers) {
    }

    public Stats stats() {
        int total = manifest.pieceCount() - manifest.zeroCount();
        int present = served.cardinality() - manifest.zeroCount();
        Map<String, Long> byPeer = new java.util.TreeMap<>();
        piecesByPeer.forEach((k, v) -> byPeer.put(k, v.get()));
        return new Stats(present, total, piecesFetched.get(), bytesFetched.get(), verificationFailures.get(),
                bytesUploaded.get(), byPeer, Set.copyOf(banned));
    }

    @Override
    public void close() {
        closed = true;
        announceThread.interrupt();
        try {
            announcer.announce(new Announcer.Announce(manifest.swarmId(), peerId, listenPort, bytesLeft(),
                    bytesUploaded.get(), bytesFetched.get(), "stopped"));
        } catch (IOException | RuntimeException e) {
            log.debug("stopped announce failed: {}", e.toString());
        }
        for (CompletableFuture<PeerConnection> f : connections.values()) {
            f.thenAccept(PeerConnection::close).exceptionally(e -> null);
        }
        executor.shutdownNow();
    }
}
