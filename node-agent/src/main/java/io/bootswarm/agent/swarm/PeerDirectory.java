package io.bootswarm.agent.swarm;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.agent.picker.SeedPartition;
import io.bootswarm.common.wire.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * The peers of one image's swarm as this host knows them: the tracker loop that announces where the
 * host stands and learns the swarm's peers (and the peer access token to dial them with), the peers
 * that connected to us on their own, and our connections to them. Each peer gets two connections
 * at most: an urgent one for demand fetches and a normal one for prefetches ({@code maxConnections}
 * agents of each class; seeds are connected besides, always).
 *
 * <p>A peer we could not connect to, or whose connection closed before it delivered a piece, is left
 * alone for a back-off that doubles with each failure in a row, from {@link #RECONNECT_BACKOFF} up to
 * {@link #MAX_RECONNECT_BACKOFF}; a connection that had delivered is reconnected at once. A peer whose
 * bytes failed verification is banned for {@code banDuration} ({@code seedBanDuration} for a seed, which
 * is still needed for the pieces only it has); a peer that left a request unanswered for a piece timeout
 * is snubbed for {@code snubDuration}: fetches ask it only when no other peer has the piece. Time is read
 * from the swarm's {@link InstantSource}.
 */
final class PeerDirectory implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerDirectory.class);
    static final Duration KEEP_ALIVE = Duration.ofSeconds(90);
    static final Duration RECONNECT_BACKOFF = Duration.ofSeconds(3);
    static final Duration MAX_RECONNECT_BACKOFF = Duration.ofSeconds(30);
    /** The longest the tracker loop waits between announces, whatever interval the tracker asks for. */
    static final Duration MAX_ANNOUNCE_INTERVAL = Duration.ofSeconds(30);

    /** Where this host stands in the swarm, as the tracker is told. */
    interface Progress {
        long left();

        long uploaded();

        long downloaded();

        /** True while fetches are under way: an announce then connects to the peers it names at once. */
        boolean fetching();
    }

    private final Manifest manifest;
    private final Announcer announcer;
    private final SwarmSettings settings;
    private final byte[] peerId;
    private final int listenPort;
    private final RateLimiter download;
    private final Progress progress;
    private final ChangeSignal signal;
    private final InstantSource clock;
    private final ExecutorService executor;
    private final Map<String, CompletableFuture<PeerConnection>> connections = new ConcurrentHashMap<>();
    private final Map<String, Backoff> backoff = new ConcurrentHashMap<>();
    private final Map<String, Instant> bannedUntil = new ConcurrentHashMap<>();
    private final Map<String, Instant> snubbedUntil = new ConcurrentHashMap<>();
    /** Connection keys ({@code host:port#u} or {@code #n}) dialled before: dialling one again is a reconnect. */
    private final Set<String> dialled = ConcurrentHashMap.newKeySet();
    private final Counter reconnects;
    private final Counter snubs;
    private final Set<Peer> discovered = ConcurrentHashMap.newKeySet();
    private final Semaphore announceNow = new Semaphore(0);
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile Thread trackerLoop;
    private volatile List<Peer> known = List.of();
    /** The access token of the last announce, presented to the peers we dial (null before the first). */
    private volatile byte[] peerToken;
    private volatile SeedPartition partition = SeedPartition.ALONE;
    /** An open connection to each peer by its handshake's peer id (the latest one made), for have suppression. */
    private final Map<ByteBuffer, PeerConnection> byPeerId = new ConcurrentHashMap<>();
    /** Whether an announce was answered: until then {@link #partition} knows no other agent. */
    private volatile boolean announced;
    /** The swarm's agents the tracker named in its last answer (hex peer ids). */
    private volatile List<String> trackerAgents = List.of();
    /** The peers ({@code host:port}) the tracker named in its last answer, agents of other images among them. */
    private volatile Set<String> trackerNamed = Set.of();
    private volatile PeerConnection.FetchingListener fetchingListener = PeerConnection.FetchingListener.NONE;
    /** Told of seeds' {@code bs_referral}s; null: not asked for. */
    private volatile PeerConnection.ReferralListener referralListener;
    /**
     * Demand connection keys dialled for a referral ({@link #dialReferred}), oldest first: outside
     * {@code maxConnections}. Guarded by itself.
     */
    private final Set<String> referred = new LinkedHashSet<>();

    /**
     * A peer's failures in a row (connects that failed, connections that closed before delivering a piece),
     * the last of them, and until when it is not dialled.
     */
    private record Backoff(int failures, String lastError, Instant until) {
    }

    /** @param executor runs the connects */
    PeerDirectory(Manifest manifest, Announcer announcer, SwarmSettings settings, byte[] peerId, int listenPort,
                  RateLimiter download, Progress progress, ChangeSignal signal, InstantSource clock,
                  ExecutorService executor, MeterRegistry meters) {
        this.manifest = manifest;
        this.announcer = announcer;
        this.settings = settings;
        this.peerId = peerId.clone();
        this.listenPort = listenPort;
        this.download = download;
        this.progress = progress;
        this.signal = signal;
        this.clock = clock;
        this.executor = executor;
        this.reconnects = Counter.builder("bootswarm.agent.peer.reconnects")
                .description("connections dialled again after one to the same peer closed or failed")
                .tag("image", manifest.name()).register(meters);
        this.snubs = Counter.builder("bootswarm.agent.peer.snubs")
                .description("peers marked slow for leaving a request unanswered for a piece timeout")
                .tag("image", manifest.name()).register(meters);
        Gauge.builder("bootswarm.agent.peer.snubbed", this, d -> d.snubbed().size())
                .description("peers snubbed now").tag("image", manifest.name()).register(meters);
        Gauge.builder("bootswarm.agent.peer.banned", this, d -> d.banned().size())
                .description("peers banned now").tag("image", manifest.name()).register(meters);
        Gauge.builder("bootswarm.agent.peer.table.entries", this, PeerDirectory::tableEntries)
                .description("entries in the per-peer tables of the swarm (known, discovered, back-off, dialled,"
                        + " snubbed, banned)").tag("image", manifest.name()).register(meters);
    }

    /** Starts the tracker loop: announces {@code started} at once, then as often as the tracker asks. */
    void start() {
        if (!closed.get() && started.compareAndSet(false, true)) {
            trackerLoop = Thread.ofVirtual().name("announce-" + manifest.name()).start(this::trackerLoop);
        }
    }

    // ---- connections ---------------------------------------------------------------------------

    /** Open connections of the class asked for (urgent or not) that have unchoked us and have the piece. */
    List<PeerConnection> ready(boolean urgent, int piece) {
        List<PeerConnection> ready = new ArrayList<>();
        for (CompletableFuture<PeerConnection> cf : connections.values()) {
            PeerConnection c = connected(cf);
            if (c != null && c.isUrgent() == urgent && c.isOpen() && !c.isChoked() && c.has(piece)
                    && !isBanned(key(c.peer()))) {
                ready.add(c);
            }
        }
        return ready;
    }

    /**
     * Whether an open connection (either class) to a peer not banned advertises every piece: any piece could be
     * fetched again from it now (see {@link SwarmSession#refetchable()}).
     */
    boolean completeSourceConnected() {
        for (CompletableFuture<PeerConnection> cf : connections.values()) {
            PeerConnection c = connected(cf);
            if (c != null && c.isOpen() && c.hasEverything() && !isBanned(key(c.peer()))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the tracker's last answer names a seed that is neither banned nor backing off after a failure. */
    boolean seedDialable() {
        Instant now = clock.instant();
        for (Peer p : known) {
            if (p.seed() && !isBanned(key(p))) {
                Backoff b = backoff.get(key(p));
                if (b == null || !b.until().isAfter(now)) {
                    return true;
                }
            }
        }
        return false;
    }

    /** How many connected agents (not seeds) have the piece, from their bitfields and haves. */
    int holders(int piece) {
        int n = 0;
        for (CompletableFuture<PeerConnection> cf : connections.values()) {
            PeerConnection c = connected(cf);
            if (c != null && !c.isUrgent() && c.isOpen() && !c.peer().seed() && c.has(piece)) {
                n++;
            }
        }
        return n;
    }

    /** Where to report the pieces connected peers say they started fetching ({@code bs_fetching}). */
    void onPeerFetching(PeerConnection.FetchingListener listener) {
        this.fetchingListener = listener;
    }

    /** Where to report {@code bs_referral}s; set before the first connection, or they are not asked for. */
    void onReferral(PeerConnection.ReferralListener listener) {
        this.referralListener = listener;
    }

    /**
     * Dials a demand connection to {@code p}, an agent a seed referred us to, outside {@code maxConnections}: at most
     * {@code cap} such connections open at once (at the cap, the oldest with no request out is closed to make room);
     * not if one is open or being made, nor to a peer banned or backing off. Returns whether it dialled.
     */
    boolean dialReferred(Peer p, int cap) {
        String key = key(p) + "#u";
        Backoff b = backoff.get(key(p));
        if (connections.containsKey(key) || isBanned(key(p)) || (b != null && b.until().isAfter(clock.instant()))) {
            return false;
        }
        synchronized (referred) {
            referred.removeIf(k -> !connections.containsKey(k));
            if (referred.size() >= cap && !closeIdleReferred()) {
                return false;
            }
            referred.add(key);
        }
        connections.computeIfAbsent(key, k -> {
            if (!dialled.add(k)) {
                reconnects.increment();
            }
            return CompletableFuture.supplyAsync(() -> connect(p, true), executor);
        });
        return true;
    }

    /** Closes the oldest referral connection with no request out; false if there is none. Guarded by referred. */
    private boolean closeIdleReferred() {
        for (Iterator<String> it = referred.iterator(); it.hasNext(); ) {
            String k = it.next();
            CompletableFuture<PeerConnection> cf = connections.get(k);
            PeerConnection c = cf == null ? null : connected(cf);
            if (c != null && c.outstandingPieces() == 0 && connections.remove(k, cf)) {
                it.remove();
                c.close();
                return true;
            }
        }
        return false;
    }

    private boolean referredKey(String k) {
        synchronized (referred) {
            return referred.contains(k);
        }
    }

    /** This host's peer id, as its handshakes name it. */
    byte[] peerId() {
        return peerId.clone();
    }

    /**
     * Open connections (either class) to agents not banned that told us they are fetching {@code piece} now
     * ({@code bs_fetching}) and do not have it yet.
     */
    List<PeerConnection> fetching(int piece) {
        List<PeerConnection> out = new ArrayList<>();
        for (CompletableFuture<PeerConnection> cf : connections.values()) {
            PeerConnection c = connected(cf);
            if (c != null && !c.peer().seed() && c.isOpen() && c.isFetching(piece) && !isBanned(key(c.peer()))) {
                out.add(c);
            }
        }
        return out;
    }

    /** Real time ({@link System#nanoTime}) each class's connections were last looked at from a fetch's loop. */
    private final AtomicLongArray lookedAt = new AtomicLongArray(2);
    /** How often a fetch's loop looks at the connections at most: it wakes on every peer's have. */
    private static final long LOOK_EVERY_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /**
     * {@link #ensureConnections} for the loop of a fetch waiting for a connection, which wakes whenever anything in
     * the swarm changes (with a hundred peers, hundreds of times a second): at most once per class every 10 ms of
     * real time, so the fetches of a host do not each walk every connection on every wake-up. Reconnecting is
     * delayed by that much at most.
     */
    void ensureConnectionsFromFetch(boolean urgent) {
        int i = urgent ? 1 : 0;
        long now = System.nanoTime();
        long last = lookedAt.get(i);
        if (last != 0 && now - last < LOOK_EVERY_NANOS) {
            return;
        }
        if (lookedAt.compareAndSet(i, last, now == 0 ? 1 : now)) {
            ensureConnections(urgent);
        }
    }

    /**
     * Connects (in the background) to the known peers that have no connection of this class yet,
     * agents up to {@code maxConnections}, seeds always; not to banned peers, nor to peers still
     * backing off.
     */
    void ensureConnections(boolean urgent) {
        Instant now = clock.instant();
        connections.entrySet().removeIf(e -> {
            if (e.getValue().state() == Future.State.FAILED) {
                return true;
            }
            PeerConnection c = connected(e.getValue());
            if (c != null && !c.isOpen()) {
                lost(c, now);
                return true;
            }
            return false;
        });
        List<Peer> candidates = new ArrayList<>(known);
        candidates.sort(Comparator.comparing(Peer::seed));
        String suffix = urgent ? "#u" : "#n";
        Set<String> seedKeys = new HashSet<>();
        for (Peer p : candidates) {
            if (p.seed()) {
                seedKeys.add(key(p) + suffix);
            }
        }
        int open = 0;
        for (String k : connections.keySet()) {
            if (k.endsWith(suffix) && !seedKeys.contains(k) && !referredKey(k)) {
                open++;
            }
        }
        for (Peer p : candidates) {
            // seeds are the last resort but always connected: the cap counts agents only
            if (!p.seed() && open >= settings.maxConnections()) {
                continue;
            }
            String key = key(p) + suffix;
            Backoff b = backoff.get(key(p));
            if (isBanned(key(p)) || connections.containsKey(key) || (b != null && b.until().isAfter(now))) {
                continue;
            }
            connections.computeIfAbsent(key, k -> {
                if (!dialled.add(k)) {
                    reconnects.increment();
                }
                return CompletableFuture.supplyAsync(() -> connect(p, urgent), executor);
            });
            if (!p.seed()) {
                open++;
            }
        }
    }

    /**
     * An established connection closed: one that delivered a piece is dialled again at once, one that
     * delivered nothing counts as a failure and backs off.
     */
    private void lost(PeerConnection c, Instant now) {
        if (c.piecesDelivered() > 0) {
            backoff.remove(key(c.peer()));
        } else {
            failed(c.peer(), "connection closed before it delivered a piece", now);
        }
    }

    private void failed(Peer p, String error, Instant now) {
        backoff.compute(key(p), (k, b) -> {
            int failures = b == null ? 1 : b.failures() + 1;
            return new Backoff(failures, error, now.plus(backoffAfter(failures)));
        });
    }

    /** How long a peer is left alone after {@code failures} failures in a row. */
    static Duration backoffAfter(int failures) {
        Duration d = RECONNECT_BACKOFF.multipliedBy(1L << Math.min(Math.max(failures - 1, 0), 16));
        return d.compareTo(MAX_RECONNECT_BACKOFF) > 0 ? MAX_RECONNECT_BACKOFF : d;
    }

    /** The peer delivered a verified piece: its failures in a row are over. */
    void delivered(Peer p) {
        backoff.remove(key(p));
    }

    /** Why each peer that is backing off could not be reached, for error messages. */
    Map<String, String> unreachable() {
        Map<String, String> out = new TreeMap<>();
        backoff.forEach((k, b) -> out.put(k, b.failures() + " failures in a row, last: " + b.lastError()));
        return out;
    }

    private PeerConnection connect(Peer p, boolean urgent) {
        try {
            PeerConnection c = PeerConnection.open(p, manifest.swarmId(), peerId, listenPort, manifest.pieceCount(),
                    settings.connectTimeout(), signal::signal, urgent, download, peerToken,
                    settings.maxRequestsPerPeer(), clock, (from, piece) -> fetchingListener.started(from, piece),
                    referralListener);
            byPeerId.put(ByteBuffer.wrap(c.remotePeerId().clone()), c);
            if (joinedSinceAnnounce(c) && !partition.includes(HexFormat.of().formatHex(c.remotePeerId()))) {
                repartition(c); // an agent that joined since the last announce shares the seed's pieces at once
            }
            signal.signal();
            return c;
        } catch (IOException e) {
            failed(p, e.toString(), clock.instant());
            log.debug("could not connect to {}: {}", p, e.toString());
            signal.signal();
            throw new UncheckedIOException(e);
        }
    }

    /** The connection if it was established, null while connecting or after a failed connect. */
    private static PeerConnection connected(CompletableFuture<PeerConnection> f) {
        return f.state() == Future.State.SUCCESS ? f.resultNow() : null;
    }

    /**
     * Closes every connection to the peer of {@code c} and does not connect to it again for
     * {@code banDuration}, or {@code seedBanDuration} for a seed.
     */
    void ban(PeerConnection c, String why) {
        String key = key(c.peer());
        boolean seed = c.peer().seed();
        Duration d = seed ? settings.seedBanDuration() : settings.banDuration();
        Instant until = clock.instant().plus(d);
        Instant before = bannedUntil.put(key, until);
        if (before == null || !before.isAfter(clock.instant())) {
            log.warn("banning {} {} from swarm {} for {}: {}", seed ? "seed" : "peer", c.peer(), manifest.name(), d,
                    why);
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

    private boolean isBanned(String key) {
        Instant until = bannedUntil.get(key);
        if (until == null) {
            return false;
        }
        if (until.isAfter(clock.instant())) {
            return true;
        }
        if (bannedUntil.remove(key, until)) {
            log.info("ban of {} from swarm {} expired", key, manifest.name());
        }
        return false;
    }

    /** {@code host:port} of the peers banned from the swarm now. */
    Set<String> banned() {
        Set<String> out = new TreeSet<>();
        for (String k : bannedUntil.keySet()) {
            if (isBanned(k)) {
                out.add(k);
            }
        }
        return out;
    }

    /** The open connections (urgent and not) to {@code p}. */
    List<PeerConnection> connectionsTo(Peer p) {
        List<PeerConnection> out = new ArrayList<>(2);
        for (String suffix : List.of("#u", "#n")) {
            CompletableFuture<PeerConnection> cf = connections.get(key(p) + suffix);
            PeerConnection c = cf == null ? null : connected(cf);
            if (c != null && c.isOpen()) {
                out.add(c);
            }
        }
        return out;
    }

    /** The peer left a request unanswered for a piece timeout: ask it last for {@code snubDuration}. */
    void snub(Peer p) {
        String key = key(p);
        Instant before = snubbedUntil.put(key, clock.instant().plus(settings.snubDuration()));
        snubs.increment();
        if (before == null || !before.isAfter(clock.instant())) {
            log.info("peer {} of swarm {} is slow to answer requests: asked last for {}", p, manifest.name(),
                    settings.snubDuration());
        }
    }

    boolean isSnubbed(Peer p) {
        Instant until = snubbedUntil.get(key(p));
        if (until == null) {
            return false;
        }
        if (until.isAfter(clock.instant())) {
            return true;
        }
        snubbedUntil.remove(key(p), until);
        return false;
    }

    /** {@code host:port} of the peers snubbed now. */
    Set<String> snubbed() {
        Set<String> out = new TreeSet<>();
        for (Map.Entry<String, Instant> e : snubbedUntil.entrySet()) {
            if (e.getValue().isAfter(clock.instant())) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Open connections of both classes, for gauges. */
    List<PeerConnection> open() {
        List<PeerConnection> out = new ArrayList<>();
        for (CompletableFuture<PeerConnection> cf : connections.values()) {
            PeerConnection c = connected(cf);
            if (c != null && c.isOpen()) {
                out.add(c);
            }
        }
        return out;
    }

    int knownPeers() {
        return known.size();
    }

    /**
     * A peer that connected to us and named its listen port: we may download from it too, without
     * waiting for the tracker's next answer to mention it.
     */
    void peerSeen(Peer peer) {
        if (discovered.add(peer) && !known.contains(peer)) {
            List<Peer> more = new ArrayList<>(known);
            more.add(peer);
            known = List.copyOf(more);
            ensureConnections(false);
            signal.signal();
        }
    }

    static String key(Peer p) {
        return p.host() + ":" + p.port();
    }

    // ---- tracker -------------------------------------------------------------------------------

    /** This host's place among the swarm's agents the tracker named last. */
    SeedPartition partition() {
        return partition;
    }

    /** Whether a connection of ours to the peer of {@code remotePeerId} is open and says it holds {@code piece}. */
    boolean peerHas(ByteBuffer remotePeerId, int piece) {
        PeerConnection c = byPeerId.get(remotePeerId);
        if (c == null) {
            return false;
        }
        if (!c.isOpen()) {
            byPeerId.remove(remotePeerId, c);
            return false;
        }
        return c.has(piece);
    }

    /** Whether the tracker answered an announce of this swarm (so {@link #partition} names the agents it knows). */
    boolean announced() {
        return announced;
    }

    /**
     * Deals the seed's pieces again among the agents the tracker named last and the agents connected now: an agent
     * that joined the swarm after our last announce (it dialled us, we dialled it back) owns its share from then
     * on, rather than from our next announce, so that two hosts do not take the same pieces from the seed meanwhile.
     */
    private synchronized void repartition(PeerConnection joined) {
        Set<String> ids = new HashSet<>(trackerAgents);
        if (joined != null) {
            ids.add(HexFormat.of().formatHex(joined.remotePeerId())); // not among the connections until connect returns
        }
        for (CompletableFuture<PeerConnection> f : connections.values()) {
            PeerConnection c = connected(f);
            if (c != null && c.isOpen() && joinedSinceAnnounce(c)) {
                ids.add(HexFormat.of().formatHex(c.remotePeerId()));
            }
        }
        partition = SeedPartition.of(HexFormat.of().formatHex(peerId), ids);
    }

    /**
     * Whether {@code c} is to an agent that joined the swarm since our last announce: one of our agents (not a seed,
     * not a stock client) that connected to us in this swarm ({@link #peerSeen}) and that the tracker did not name.
     * A peer the tracker named is a member only if it named it among the agents: agents of other images that serve
     * shared pieces are named too, and never fetch this image's pieces from the seed.
     */
    private boolean joinedSinceAnnounce(PeerConnection c) {
        Peer p = c.peer();
        return !p.seed() && isAgent(c.remotePeerId()) && discovered.contains(p) && !trackerNamed.contains(key(p));
    }

    /** Whether a peer id is one of our agents' ({@link SwarmManager}'s {@code -BS} prefix), not a stock client's. */
    static boolean isAgent(byte[] remotePeerId) {
        return remotePeerId.length >= 3 && remotePeerId[0] == '-' && remotePeerId[1] == 'B' && remotePeerId[2] == 'S';
    }

    /** Asks the tracker again soon (at most once per {@code announceRetry}): no known peer has a piece. */
    void announceSoon() {
        announceNow.release();
    }

    private void trackerLoop() {
        String event = "started";
        boolean failing = false;
        boolean completeSent = false;
        while (!closed.get()) {
            Instant asked = clock.instant(); // the next announce is due an interval after this one was made
            Duration wait;
            try {
                long left = progress.left();
                String e = event != null ? event : (left == 0 && !completeSent ? "completed" : null);
                Duration interval = announce(left, e);
                completeSent |= "completed".equals(e) || (left == 0 && "started".equals(e));
                event = null;
                if (failing) {
                    log.info("tracker reachable again for swarm {}", manifest.name());
                    failing = false;
                }
                wait = interval.compareTo(MAX_ANNOUNCE_INTERVAL) < 0 ? interval : MAX_ANNOUNCE_INTERVAL;
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
                if (ClockWaits.acquire(announceNow, asked.plus(wait), clock)) {
                    // at most one extra announce per retry period
                    ClockWaits.sleepUntil(clock.instant().plus(settings.announceRetry()), clock);
                    announceNow.drainPermits();
                }
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** One announce; learns the peers, the partition and the token from the answer; returns its interval. */
    private Duration announce(long left, String event) throws IOException {
        Announcer.Result r = announcer.announce(new Announcer.Announce(manifest.swarmId(), peerId, listenPort,
                left, progress.uploaded(), progress.downloaded(), event));
        if (r.peerToken() != null) {
            peerToken = r.peerToken(); // before the peers it lets us dial
        }
        forgetDeparted(r.peers());
        Set<Peer> all = new LinkedHashSet<>(r.peers());
        all.addAll(discovered);
        known = List.copyOf(all);
        Set<String> named = new HashSet<>();
        r.peers().forEach(p -> named.add(key(p)));
        trackerNamed = Set.copyOf(named);
        trackerAgents = r.agentIds();
        repartition(null);
        announced = true;
        if (progress.fetching()) {
            ensureConnections(true);
            ensureConnections(false);
        }
        signal.signal();
        return r.interval();
    }

    /**
     * Forgets the peers that left: a peer neither the tracker names now nor connected to us loses its
     * back-off, its dialled marks and its place among the peers found by their connecting to us, and
     * expired bans and snubs are dropped. The tables then hold the swarm as it is, not every peer it
     * ever had (a long-lived host in a swarm with churn would otherwise grow them without end).
     */
    private void forgetDeparted(List<Peer> named) {
        Set<String> live = new HashSet<>();
        named.forEach(p -> live.add(key(p)));
        for (Map.Entry<String, CompletableFuture<PeerConnection>> e : connections.entrySet()) {
            PeerConnection c = connected(e.getValue());
            if (e.getValue().state() == Future.State.RUNNING || (c != null && c.isOpen())) {
                live.add(e.getKey().substring(0, e.getKey().lastIndexOf('#')));
            }
        }
        discovered.removeIf(p -> !live.contains(key(p)));
        backoff.keySet().retainAll(live);
        dialled.removeIf(k -> !live.contains(k.substring(0, k.lastIndexOf('#'))));
        Instant now = clock.instant();
        snubbedUntil.values().removeIf(until -> !until.isAfter(now));
        banned(); // drops (and logs) the expired bans
    }

    /** Entries in the directory's per-peer tables, for a gauge: bounded by the swarm's live peers. */
    int tableEntries() {
        return known.size() + discovered.size() + backoff.size() + dialled.size() + snubbedUntil.size()
                + bannedUntil.size();
    }

    /** Stops the tracker loop, tells the tracker this host left the swarm, and closes every connection. */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        Thread loop = trackerLoop;
        if (loop != null) {
            loop.interrupt();
        }
        try {
            announcer.announce(new Announcer.Announce(manifest.swarmId(), peerId, listenPort, progress.left(),
                    progress.uploaded(), progress.downloaded(), "stopped"));
        } catch (IOException | RuntimeException e) {
            log.debug("stopped announce failed: {}", e.toString());
        }
        for (CompletableFuture<PeerConnection> f : connections.values()) {
            f.thenAccept(PeerConnection::close).exceptionally(e -> null);
        }
    }
}
