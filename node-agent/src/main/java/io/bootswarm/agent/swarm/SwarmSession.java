package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceSource;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.agent.picker.SeedPartition;
import io.bootswarm.agent.picker.SwarmView;
import io.bootswarm.common.wire.RateLimiter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * to get the piece, at most {@code pieceTimeout}. The pieces this host is fetching are told to its peers
 * ({@code bs_fetching}), and a demand for a piece that only a seed could serve while a connected agent is fetching
 * it waits for that agent's copy, at most {@code coalesceWait} (see {@link PieceFetcher}).
 *
 * <p>It serves the pieces the host holds to other peers ({@link #served()}), and from {@link #start()}
 * to {@link #close()} announces to the tracker and keeps connections open to the peers it names.
 *
 * <p>The parts: {@link PieceFetcher} fetches (demand, prefetch, escalation, seed slots),
 * {@link PeerDirectory} knows the peers (tracker loop, connections, back-off, bans), and
 * {@link ServedPieces} is what the host serves. Time is read from the {@link InstantSource} given.
 */
public final class SwarmSession implements PieceSource, SwarmView, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SwarmSession.class);
    /** How long {@link #close()} waits for the fetches and connects under way to end. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(10);

    private final Manifest manifest;
    private final SwarmSettings settings;
    private final ServedPieces served;
    private final PeerDirectory peers;
    private final PieceFetcher fetcher;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final ChangeSignal signal = new ChangeSignal();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The last {@link #refetchable()} answer was no, and said so. */
    private final AtomicBoolean isolatedWarned = new AtomicBoolean();

    /**
     * @param download     this host's download limiter
     * @param announceHave told of each piece stored, to announce it to the peers we serve
     * @param clock        what piece timeouts, reconnect back-off and seed prefetch waits are measured on
     */
    public SwarmSession(Manifest manifest, PieceStore store, Announcer announcer, SwarmSettings settings,
                        byte[] peerId, int listenPort, RateLimiter download, IntConsumer announceHave,
                        MeterRegistry meters, InstantSource clock) {
        this(manifest, store, announcer, settings, peerId, listenPort, download, announceHave, piece -> {
        }, meters, clock);
    }

    /**
     * @param download         this host's download limiter
     * @param announceHave     told of each piece stored, to announce it to the peers we serve
     * @param announceDontHave told of each piece the store evicted, to withdraw it from the peers we serve
     *                         (BEP 54 {@code lt_donthave})
     * @param clock            what piece timeouts, reconnect back-off and seed prefetch waits are measured on
     */
    public SwarmSession(Manifest manifest, PieceStore store, Announcer announcer, SwarmSettings settings,
                        byte[] peerId, int listenPort, RateLimiter download, IntConsumer announceHave,
                        IntConsumer announceDontHave, MeterRegistry meters, InstantSource clock) {
        this(manifest, store, announcer, settings, peerId, listenPort, download, announceHave, announceDontHave,
                FetchingListener.NONE, meters, clock);
    }

    /**
     * Told when this host starts and stops fetching a piece (a request for it went out to a source, and
     * ended), to tell the peers with {@code bs_fetching}; a piece that arrived is announced with {@code have},
     * which ends its advertisement too.
     */
    @FunctionalInterface
    public interface FetchingListener {
        FetchingListener NONE = (piece, now) -> {
        };

        void fetching(int piece, boolean now);
    }

    /**
     * @param download         this host's download limiter
     * @param announceHave     told of each piece stored, to announce it to the peers we serve
     * @param announceDontHave told of each piece the store evicted, to withdraw it from the peers we serve
     *                         (BEP 54 {@code lt_donthave})
     * @param announceFetching told of each piece this host starts and stops fetching, to tell the peers we
     *                         serve ({@code bs_fetching}) so that their demand for it can wait for our copy
     * @param clock            what piece timeouts, reconnect back-off and seed prefetch waits are measured on
     */
    public SwarmSession(Manifest manifest, PieceStore store, Announcer announcer, SwarmSettings settings,
                        byte[] peerId, int listenPort, RateLimiter download, IntConsumer announceHave,
                        IntConsumer announceDontHave, FetchingListener announceFetching, MeterRegistry meters,
                        InstantSource clock) {
        this(manifest, store, announcer, settings, ReferralSettings.defaults(), peerId, listenPort, download,
                announceHave, announceDontHave, announceFetching, meters, clock);
    }

    /**
     * As {@link #SwarmSession(Manifest, PieceStore, Announcer, SwarmSettings, byte[], int, RateLimiter, IntConsumer,
     * IntConsumer, FetchingListener, MeterRegistry, InstantSource)}, following seeds' {@code bs_referral}s as
     * {@code referrals} says ({@link SeedReferrals}).
     */
    public SwarmSession(Manifest manifest, PieceStore store, Announcer announcer, SwarmSettings settings,
                        ReferralSettings referrals, byte[] peerId, int listenPort, RateLimiter download,
                        IntConsumer announceHave, IntConsumer announceDontHave, FetchingListener announceFetching,
                        MeterRegistry meters, InstantSource clock) {
        this.manifest = manifest;
        this.settings = settings;
        this.served = new ServedPieces(manifest, store, piece -> {
            announceHave.accept(piece);
            signal.signal();
        }, piece -> {
            announceDontHave.accept(piece);
            signal.signal();
        }, announceFetching);
        this.peers = new PeerDirectory(manifest, announcer, settings, peerId, listenPort, download, new Progress(),
                signal, clock, executor, meters);
        this.fetcher = new PieceFetcher(manifest, store, settings, served, peers, signal, clock, executor, meters);
        peers.onPeerFetching(fetcher::peerFetching);
        if (referrals.enabled()) {
            SeedReferrals followed = new SeedReferrals(referrals,
                    referrals.fetchWait() == null ? settings.coalesceWait() : referrals.fetchWait(), peers, signal, clock, meters,
                    manifest.name());
            peers.onReferral(followed::referred);
            fetcher.follow(followed);
        }
        Gauge.builder("bootswarm.agent.swarm.refetchable", this, s -> s.refetchableNow() ? 1 : 0)
                .description("1 while an evicted piece of the image could be fetched again now (a complete source "
                        + "is connected): only then may the cache evict pieces its live disks may read")
                .tag("image", manifest.name()).register(meters);
    }

    /** Where this host stands, for the tracker. */
    private final class Progress implements PeerDirectory.Progress {
        @Override
        public long left() {
            return served.bytesLeft();
        }

        @Override
        public long uploaded() {
            return served.bytesUploaded();
        }

        @Override
        public long downloaded() {
            return fetcher.bytesFetched();
        }

        @Override
        public boolean fetching() {
            return fetcher.fetching();
        }
    }

    /** Joins the swarm: starts announcing to the tracker. Once; a closed session stays closed. */
    public SwarmSession start() {
        if (!closed.get()) {
            peers.start();
        }
        return this;
    }

    public Manifest manifest() {
        return manifest;
    }

    /** What this host serves of the image to the swarm's peers. */
    ServedPieces served() {
        return served;
    }

    // ---- fetching -----------------------------------------------------------------------------

    @Override
    public void require(int piece) throws IOException {
        fetcher.require(piece);
    }

    /**
     * Fetches {@code piece} ahead of need, at normal priority; completes when it is stored (at once
     * if it is here), or fails if no peer delivered it.
     */
    @Override
    public CompletableFuture<Void> prefetch(int piece) {
        return fetcher.prefetch(piece);
    }

    /**
     * The first piece of {@code order} this host owns among the swarm's agents and neither has nor is
     * fetching: what to prefetch from the seed next. Empty with the seed partition off.
     */
    OptionalInt nextOwned(int[] order) {
        // none before the tracker named the swarm's agents: alone, this host would own every piece
        return settings.seedPartition() && peers.announced() ? peers.partition().nextOwned(order, this)
                : OptionalInt.empty();
    }

    /**
     * Waits until something a prefetch choice depends on may have changed (a peer's pieces, a piece stored, a
     * connection), at most {@code max}.
     */
    void awaitChange(Duration max) throws InterruptedException {
        signal.await(max);
    }

    /** Whether the peer of this peer id (its handshake's) told this host that it holds {@code piece}. */
    boolean peerHas(ByteBuffer remotePeerId, int piece) {
        return peers.peerHas(remotePeerId, piece);
    }

    /** Prefetches of this host that may come from a seed at once. */
    int seedPrefetchSlots() {
        return settings.seedPrefetchSlots();
    }

    /** This host's place among the swarm's agents the tracker named last. */
    SeedPartition seedPartition() {
        return peers.partition();
    }

    /**
     * Whether any piece of the image, once evicted, could be fetched again now: the session is open (not
     * closed) and holds an open connection to a source that is not banned and advertises every piece
     * (a seed, or an agent that has the whole image). The store asks this once per eviction pass for each
     * live disk of the image; it costs one look at each open connection. While it is false the store keeps
     * the pieces those disks may read, even over its quota, and {@code bootswarm.agent.swarm.refetchable} is
     * 0. A false answer also dials the known peers again in the background (a seed closes a connection idle
     * for its idle timeout, so a host whose disks read everything they need has none open): a later pass
     * may then evict. When not even a seed is left to dial (the tracker names none, or each is banned or
     * backing off after a failed connect), one WARN says the pieces are kept (one INFO when a complete
     * source is connected again).
     *
     * <p>A peer with part of the image does not count: what it holds may not be what gets evicted, and a
     * per-piece answer would cost a look at every connection for every piece of every pass.
     */
    @Override
    public boolean refetchable() {
        if (refetchableNow()) {
            if (isolatedWarned.getAndSet(false)) {
                log.info("swarm {}: a complete source is connected again: pieces live disks may read can be evicted",
                        manifest.name());
            }
            return true;
        }
        if (closed.get()) {
            return false;
        }
        peers.ensureConnections(false);
        if (!peers.seedDialable() && !isolatedWarned.getAndSet(true)) {
            log.warn("swarm {}: no source to fetch an evicted piece from again (no complete peer connected, no seed "
                    + "to dial): the host cache keeps the pieces live disks of this image may read, even over its "
                    + "quota", manifest.name());
        }
        return false;
    }

    private boolean refetchableNow() {
        return !closed.get() && peers.completeSourceConnected();
    }

    @Override
    public int pieceCount() {
        return manifest.pieceCount();
    }

    @Override
    public boolean have(int piece) {
        return served.has(piece);
    }

    @Override
    public boolean inFlight(int piece) {
        return fetcher.inFlight(piece);
    }

    /** How many connected agents (not seeds) have the piece, from their bitfields and haves. */
    @Override
    public int holders(int piece) {
        return peers.holders(piece);
    }

    /**
     * A peer that connected to us and named its listen port: we may download from it too, without
     * waiting for the tracker's next answer to mention it.
     */
    void peerSeen(Peer peer) {
        peers.peerSeen(peer);
    }

    /** Opens prefetch connections to the known peers, so that their pieces are known before choosing. */
    void connectForPrefetch() {
        peers.ensureConnections(false);
    }

    // ---- figures -------------------------------------------------------------------------------

    /**
     * What this session has done since the agent started.
     *
     * @param piecesFromSeed pieces fetched from a seed (the rest came from other agents)
     * @param escalations    prefetches raised to demand fetches because a read needed them first
     * @param bannedPeers    {@code host:port} of the peers banned now (their bytes failed verification)
     * @param snubbedPeers   {@code host:port} of the peers asked last now (they left a request unanswered)
     */
    public record Stats(int piecesPresent, int piecesTotal, long piecesFetched, long piecesFromSeed,
                        long bytesFetched, long verificationFailures, long bytesUploaded, long escalations,
                        Map<String, Long> piecesByPeer, Set<String> bannedPeers, Set<String> snubbedPeers) {
    }

    public Stats stats() {
        return new Stats(served.piecesPresent(), manifest.pieceCount() - manifest.zeroCount(),
                fetcher.piecesFetched(), fetcher.piecesFromSeed(), fetcher.bytesFetched(),
                fetcher.verificationFailures(), served.bytesUploaded(), fetcher.escalations(), fetcher.piecesByPeer(),
                peers.banned(), peers.snubbed());
    }

    /** Peers backing off after failed connects or connections that closed early, and why. */
    Map<String, String> unreachablePeers() {
        return peers.unreachable();
    }

    /** The connected agents that told us they are fetching {@code piece} now ({@code bs_fetching}). */
    List<Peer> fetchingPeers(int piece) {
        return peers.fetching(piece).stream().map(PeerConnection::peer).distinct().toList();
    }

    /** Demand fetches waiting now for a connected agent that is fetching their piece. */
    int coalescing() {
        return fetcher.coalescing();
    }

    /** The peers whose connections of the class asked for could take a request for {@code piece} now. */
    List<Peer> readyPeers(boolean urgent, int piece) {
        return peers.ready(urgent, piece).stream().map(PeerConnection::peer).toList();
    }

    /**
     * Leaves the swarm: fetches give up, the tracker is told, connections close, and the fetches under way
     * are awaited (at most {@link #CLOSE_WAIT}), without interrupting them. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        fetcher.close();
        peers.close();
        signal.signal();
        // no shutdownNow(): an interrupt landing in a fetch that is storing its piece would close the
        // store's FileChannel (ClosedByInterruptException) for every swarm of the host
        executor.shutdown();
        try {
            if (!executor.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("swarm {}: fetches still running {} after close", manifest.name(), CLOSE_WAIT);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
