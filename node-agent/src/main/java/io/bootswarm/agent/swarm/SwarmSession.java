package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceSource;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.agent.picker.SeedPartition;
import io.bootswarm.agent.picker.SwarmView;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.ServedSwarm;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;

/**
 * This host's part in one image's swarm, shared by every disk of the image on the host.
 *
 * <p>As a {@link PieceSource} it turns a missing piece into a <em>demand</em> fetch, and through
 * {@link #prefetch} it fetches pieces ahead of need. Either way there is one fetch per piece
 * however many disks want it, verified against the manifest's SHA-256 before it is stored and
 * announced; a peer whose bytes fail verification is banned from the swarm and the piece is
 * fetched from another. Demand never waits behind prefetch: demand fetches go over separate,
 * urgent connections that our peers serve before everything else (and that go first at our own
 * download limiter), a demand for a piece already being prefetched raises that fetch to urgent
 * (withdrawing the slower request), and prefetches take at most {@code seedPrefetchSlots} of the
 * seed at a time, so that the seed's upload stays free for demand and for pieces no other peer
 * has. Other agents are always asked before the seed. With {@code seedPartition} on, a prefetch
 * asks the seed only for a piece this host owns in its {@link SeedPartition} among the agents the
 * tracker names, so that each piece leaves the seed about once and the agents pass it on (the
 * {@link Prefetcher} takes the owned pieces in profile order); other prefetches wait for an agent
 * to get the piece, at most {@code pieceTimeout}.
 *
 * <p>As a {@link ServedSwarm} it serves the pieces the host holds to other peers. A background
 * thread announces to the tracker and keeps connections open to the peers it names.
 */
public final class SwarmSession implements PieceSource, ServedSwarm, SwarmView, PieceHolder, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SwarmSession.class);
    private static final Duration KEEP_ALIVE = Duration.ofSeconds(90);
    private static final Duration RECONNECT_BACKOFF = Duration.ofSeconds(3);

    private final Manifest manifest;
    private final PieceStore store;
    private final Announcer announcer;
    private final SwarmSettings settings;
    private final byte[] peerId;
    private final int listenPort;
    private final RateLimiter download;
    private final IntConsumer announceHave;
    private final PieceSet served;
    private final AtomicLongArray uploadedByPiece;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Map<Integer, Fetch> inFlight = new ConcurrentHashMap<>();
    private final Map<String, CompletableFuture<PeerConnection>> connections = new ConcurrentHashMap<>();
    private final Map<String, Long> failedAt = new ConcurrentHashMap<>();
    private final Set<String> banned = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicLong> piecesByPeer = new ConcurrentHashMap<>();
    private final Semaphore seedPrefetch;
    private final Object stateChanged = new Object();
    private final Semaphore announceNow = new Semaphore(0);
    private final AtomicLong bytesFetched = new AtomicLong();
    private final AtomicLong piecesFetched = new AtomicLong();
    private final AtomicLong piecesFromSeed = new AtomicLong();
    private final AtomicLong verificationFailures = new AtomicLong();
    private final AtomicLong bytesUploaded = new AtomicLong();
    private final AtomicLong escalations = new AtomicLong();
    private final Timer demandWait;
    private final Counter fetchedBytesCounter;
    private final Thread announceThread;
    private volatile List<Peer> known = List.of();
    /** The access token of the last announce, presented to the peers we dial (null before the first). */
    private volatile byte[] peerToken;
    private volatile SeedPartition partition = SeedPartition.ALONE;
    private final Set<Peer> discovered = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /** One piece being fetched; a prefetch can be raised to a demand fetch while it runs. */
    private final class Fetch implements Runnable {
        final int piece;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        final long created = System.nanoTime();
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
                signal();
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

    /**
     * @param download     this host's download limiter
     * @param announceHave told of each piece stored, to announce it to the peers we serve
     */
    public SwarmSession(Manifest manifest, PieceStore store, Announcer announcer, SwarmSettings settings,
                        byte[] peerId, int listenPort, RateLimiter download, IntConsumer announceHave,
                        MeterRegistry meters) {
        this.manifest = manifest;
        this.store = store;
        this.announcer = announcer;
        this.settings = settings;
        this.peerId = peerId.clone();
        this.listenPort = listenPort;
        this.download = download;
        this.announceHave = announceHave;
        this.seedPrefetch = new Semaphore(settings.seedPrefetchSlots());
        this.served = new PieceSet(manifest.pieceCount());
        this.uploadedByPiece = new AtomicLongArray(manifest.pieceCount());
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
    }

    public Manifest manifest() {
        return manifest;
    }

    // ---- fetching -----------------------------------------------------------------------------

    @Override
    public void require(int piece) throws IOException {
        if (store.contains(manifest.hash(piece))) {
            return;
        }
        long start = System.nanoTime();
        try {
            start(piece, true).get();
        } catch (ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted waiting for piece " + piece, e);
        } finally {
            demandWait.record(System.nanoTime() - start, TimeUnit.NANOSECONDS);
        }
    }

    /**
     * Fetches {@code piece} ahead of need, at normal priority; completes when it is stored (at once
     * if it is here), or fails if no peer delivered it.
     */
    public CompletableFuture<Void> prefetch(int piece) {
        if (served.contains(piece)) {
            return CompletableFuture.completedFuture(null);
        }
        return start(piece, false);
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
            served.add(piece);
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
            String key = key(c.peer());
            f.active = c;
            try {
                if (!settings.requestLatency().isZero()) {
                    Thread.sleep(settings.requestLatency()); // emulated link latency (benchmarks)
                }
                byte[] bytes = c.await(piece, c.requestPiece(piece, length), settings.pieceTimeout());
                Optional<VerifiedPiece> verified = VerifiedPiece.verify(hash, bytes, length);
                if (verified.isEmpty()) {
                    verificationFailures.incrementAndGet();
                    ban(c, "piece " + piece + " failed SHA-256 verification");
                    attempts++;
                    continue;
                }
                store.put(verified.get()); // the store tells every swarm holding this piece, this one included
                pieceArrived(piece);
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
                    signal();
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
     * A prefetch uses a seed only while a seed prefetch slot is free.
     */
    private Choice connectionFor(Fetch f, Set<String> tried) throws IOException, InterruptedException {
        long start = System.nanoTime();
        while (true) {
            boolean urgent = f.urgent;
            long limit = urgent ? settings.connectTimeout().plus(settings.unchokeTimeout()).toNanos()
                    : settings.pieceTimeout().multipliedBy(3).toNanos();
            List<PeerConnection> ready = new ArrayList<>();
            for (CompletableFuture<PeerConnection> cf : connections.values()) {
                PeerConnection c = connected(cf);
                if (c != null && c.isUrgent() == urgent && c.isOpen() && !c.isChoked() && c.has(f.piece)
                        && !banned.contains(key(c.peer()))) {
                    ready.add(c);
                }
            }
            ready.sort(Comparator.comparing((PeerConnection c) -> tried.contains(key(c.peer())))
                    .thenComparing(c -> c.peer().seed())
                    .thenComparingInt(PeerConnection::outstandingPieces));
            boolean agentHasIt = !urgent && holders(f.piece) > 0;
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
            ensureConnections(urgent);
            if (System.nanoTime() - start > limit) {
                announceNow.release();
                throw new IOException("no connected peer has piece " + f.piece + " of " + manifest.name()
                        + " (known peers: " + known.size() + ", banned: " + banned.size() + ")");
            }
            synchronized (stateChanged) {
                stateChanged.wait(20);
            }
        }
    }

    /** Whether a prefetch may use the seed: an owned piece, or one no agent got within a piece timeout. */
    private boolean maySeedPrefetch(Fetch f) {
        return !settings.seedPartition() || partition.owns(f.piece)
                || System.nanoTime() - f.created > settings.pieceTimeout().toNanos();
    }

    /**
     * The first piece of {@code order} this host owns among the swarm's agents and neither has nor is
     * fetching: what to prefetch from the seed next. Empty with the seed partition off.
     */
    public OptionalInt nextOwned(int[] order) {
        return settings.seedPartition() ? partition.nextOwned(order, this) : OptionalInt.empty();
    }

    /** Prefetches of this host that may come from a seed at once. */
    public int seedPrefetchSlots() {
        return settings.seedPrefetchSlots();
    }

    /** This host's place among the swarm's agents the tracker named last. */
    public SeedPartition seedPartition() {
        return partition;
    }

    private void ensureConnections(boolean urgent) {
        connections.entrySet().removeIf(e -> e.getValue().state() == Future.State.FAILED
                || (connected(e.getValue()) != null && !connected(e.getValue()).isOpen()));
        List<Peer> candidates = new ArrayList<>(known);
        candidates.sort(Comparator.comparing(Peer::seed));
        String suffix = urgent ? "#u" : "#n";
        Set<String> seedKeys = new HashSet<>();
        for (Peer p : candidates) {
            if (p.seed()) {
                seedKeys.add(key(p) + suffix);
            }
        }
        long now = System.nanoTime();
        int open = 0;
        for (String k : connections.keySet()) {
            if (k.endsWith(suffix) && !seedKeys.contains(k)) {
                open++;
            }
        }
        for (Peer p : candidates) {
            // seeds are the last resort but always connected: the cap counts agents only
            if (!p.seed() && open >= settings.maxConnections()) {
                continue;
            }
            String key = key(p) + suffix;
            Long failed = failedAt.get(key(p));
            if (banned.contains(key(p)) || connections.containsKey(key)
                    || (failed != null && now - failed < RECONNECT_BACKOFF.toNanos())) {
                continue;
            }
            connections.computeIfAbsent(key, k -> CompletableFuture.supplyAsync(() -> connect(p, urgent), executor));
            if (!p.seed()) {
                open++;
            }
        }
    }

    private PeerConnection connect(Peer p, boolean urgent) {
        try {
            PeerConnection c = PeerConnection.open(p, manifest.swarmId(), peerId, listenPort, manifest.pieceCount(),
                    settings.connectTimeout(), this::signal, urgent, download, peerToken);
            signal();
            return c;
        } catch (IOException e) {
            failedAt.put(key(p), System.nanoTime());
            log.debug("could not connect to {}: {}", p, e.toString());
            signal();
            throw new UncheckedIOException(e);
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
        for (String suffix : List.of("#u", "#n")) {
            CompletableFuture<PeerConnection> cf = connections.remove(key + suffix);
            PeerConnection pc = cf == null ? null : connected(cf);
            if (pc != null) {
                pc.close();
            }
        }
        c.close();
    }

    private void signal() {
        synchronized (stateChanged) {
            stateChanged.notifyAll();
        }
    }

    private static String key(Peer p) {
        return p.host() + ":" + p.port();
    }

    @Override
    public boolean pieceArrived(int piece) {
        boolean added = served.add(piece);
        if (added) {
            announceHave.accept(piece);
            signal();
        }
        return added;
    }

    @Override
    public boolean have(int piece) {
        return served.contains(piece);
    }

    @Override
    public boolean inFlight(int piece) {
        return inFlight.containsKey(piece);
    }

    /** How many connected agents (not seeds) have the piece, from their bitfields and haves. */
    @Override
    public int holders(int piece) {
        int n = 0;
        for (CompletableFuture<PeerConnection> cf : connections.values()) {
            PeerConnection c = connected(cf);
            if (c != null && !c.isUrgent() && c.isOpen() && !c.peer().seed() && c.has(piece)) {
                n++;
            }
        }
        return n;
    }

    /**
     * A peer that connected to us and named its listen port: we may download from it too, without
     * waiting for the tracker's next answer to mention it.
     */
    public void peerSeen(Peer peer) {
        if (discovered.add(peer) && !known.contains(peer)) {
            List<Peer> more = new ArrayList<>(known);
            more.add(peer);
            known = List.copyOf(more);
            ensureConnections(false);
            signal();
        }
    }

    /** Opens prefetch connections to the known peers, so that their pieces are known before choosing. */
    public void connectForPrefetch() {
        ensureConnections(false);
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
                if (r.peerToken() != null) {
                    peerToken = r.peerToken(); // before the peers it lets us dial
                }
                Set<Peer> all = new java.util.LinkedHashSet<>(r.peers());
                all.addAll(discovered);
                known = List.copyOf(all);
                partition = SeedPartition.of(HexFormat.of().formatHex(peerId), r.agentIds());
                if (!inFlight.isEmpty()) {
                    ensureConnections(true);
                    ensureConnections(false);
                }
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
        uploadedByPiece.addAndGet(piece, length);
        if (manifest.isZero(piece)) {
            Arrays.fill(dst, 0, length, (byte) 0);
            return;
        }
        store.read(manifest.hash(piece), begin, ByteBuffer.wrap(dst, 0, length));
    }

    /** Bytes uploaded to peers per piece of the image, since start (for swarm reports). */
    public AtomicLongArray uploadedByPiece() {
        return uploadedByPiece;
    }

    @Override
    public void uploaded(int bytes) {
        bytesUploaded.addAndGet(bytes);
    }

    // ---- figures -------------------------------------------------------------------------------

    /**
     * What this session has done since the agent started.
     *
     * @param piecesFromSeed pieces fetched from a seed (the rest came from other agents)
     * @param escalations    prefetches raised to demand fetches because a read needed them first
     */
    public record Stats(int piecesPresent, int piecesTotal, long piecesFetched, long piecesFromSeed,
                        long bytesFetched, long verificationFailures, long bytesUploaded, long escalations,
                        Map<String, Long> piecesByPeer, Set<String> bannedPeers) {
    }

    public Stats stats() {
        int total = manifest.pieceCount() - manifest.zeroCount();
        int present = served.cardinality() - manifest.zeroCount();
        Map<String, Long> byPeer = new TreeMap<>();
        piecesByPeer.forEach((k, v) -> byPeer.put(k, v.get()));
        return new Stats(present, total, piecesFetched.get(), piecesFromSeed.get(), bytesFetched.get(),
                verificationFailures.get(), bytesUploaded.get(), escalations.get(), byPeer, Set.copyOf(banned));
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
