package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.common.wire.PeerWireMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

/**
 * The host's swarms: one {@link SwarmSession} per image, shared by every disk of that image on
 * the host (a piece is fetched once per host), all over one {@link PieceStore}; and the peer wire
 * server through which this host serves what it holds to other peers, from {@link #start()} to
 * {@link #close()}.
 *
 * <p>Cross-image sharing: a peer may connect for the swarm of an image this host does not run. If
 * {@code crossImage} is on, the manifest of that image is resolved (from the seed) and the host
 * serves it the pieces it holds through its own images (a {@link ServedPieces} of that image, as
 * a session serves its own). A piece arriving in the store, by whichever swarm, is announced with
 * {@code have} in every swarm whose image contains it; a piece the store evicts is withdrawn the same way,
 * with BEP 54 {@code lt_donthave} to the connected peers of every such swarm (and out of what the tracker
 * and the swarm reports are told this host holds).
 */
public final class SwarmManager implements AutoCloseable {

    /** How long a swarm id the resolver did not know is not asked about again. */
    private static final Duration UNRESOLVED_RETRY = Duration.ofSeconds(30);
    /**
     * How many swarm ids that no manifest resolved are remembered (for {@link #UNRESOLVED_RETRY}); past it, a
     * handshake naming yet another unknown swarm is refused without asking the resolver.
     */
    static final int MAX_UNRESOLVED = 1024;

    private final PieceStore store;
    private final Announcer announcer;
    private final SwarmSettings settings;
    private final MeterRegistry meters;
    private final byte[] peerId = newPeerId();
    private final Map<UUID, SwarmSession> byImage = new ConcurrentHashMap<>();
    private final Map<SwarmId, SwarmSession> bySwarm = new ConcurrentHashMap<>();
    private final InetSocketAddress peerBind;
    private final PeerAccess access;
    private final InstantSource clock;
    private final RateLimiter download;
    private final Function<SwarmId, Optional<Manifest>> resolver;
    private final Map<SwarmId, ServedPieces> cross = new ConcurrentHashMap<>();
    private final Map<SwarmId, Instant> unresolvedUntil = new ConcurrentHashMap<>();
    private final Counter unknownSwarmsRefused;
    private final Map<PieceHash, List<Holding>> holders = new ConcurrentHashMap<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile PeerWireServer server;
    private volatile ReferralSettings referrals = ReferralSettings.defaults();

    /** Piece {@code piece} of a served image is the piece with this hash. */
    private record Holding(ServedPieces swarm, int piece) {
    }

    /**
     * @param resolver finds the manifest of an image by its swarm id, for cross-image serving; return
     *                 empty for none (and to turn cross-image serving off)
     * @param access   which connecting peers are served: those with a valid peer access token
     *                 ({@link io.bootswarm.common.peertoken.TokenAccess})
     * @param clock    what the swarms' timeouts and back-offs are measured on
     *                 ({@link io.bootswarm.common.time.MonotonicClock#system()} in production)
     */
    public SwarmManager(PieceStore store, Announcer announcer, SwarmSettings settings, InetSocketAddress peerBind,
                        Function<SwarmId, Optional<Manifest>> resolver, PeerAccess access, MeterRegistry meters,
                        InstantSource clock) {
        this.store = store;
        this.announcer = announcer;
        this.settings = settings;
        this.meters = meters;
        this.resolver = resolver;
        this.peerBind = peerBind;
        this.access = access;
        this.clock = clock;
        this.download = RateLimiter.perSecond(settings.downloadRate().toBytes());
        this.unknownSwarmsRefused = Counter.builder("bootswarm.agent.peer.unknown-swarm.refused")
                .description("handshakes naming an unknown swarm refused unresolved: the table of unknown swarms was"
                        + " full").register(meters);
        Gauge.builder("bootswarm.agent.peer.unknown-swarms", unresolvedUntil, Map::size)
                .description("swarm ids no manifest resolved, remembered for a retry period").register(meters);
    }

    /** How the sessions opened from now on follow seeds' {@code bs_referral}s ({@link SeedReferrals}). */
    public SwarmManager withReferrals(ReferralSettings settings) {
        this.referrals = settings;
        return this;
    }

    /** Opens the peer wire server (binds {@code peerBind}) and starts serving; once. */
    public synchronized SwarmManager start() throws IOException {
        if (server != null || closed.get()) {
            return this;
        }
        PeerWireServer s = new PeerWireServer(PeerWireServer.Settings.defaults(peerBind).withUpload(
                settings.uploadSlots(), RateLimiter.perSecond(settings.uploadRate().toBytes())), this::served, peerId,
                access, clock).start();
        store.addListener(this::stored);
        store.addEvictionListener(this::evicted);
        s.onPeerSeen((swarm, host, port) -> {
            SwarmSession session = bySwarm.get(swarm);
            if (session != null) {
                session.peerSeen(new Peer(host, port, false));
            }
        });
        new PeerWireMetrics(s, "bootswarm.agent.peer").bindTo(meters);
        server = s;
        return this;
    }

    private PeerWireServer server() {
        PeerWireServer s = server;
        if (s == null) {
            throw new IllegalStateException("swarm manager not started");
        }
        return s;
    }

    /** BEP 20 style peer id: {@code -BS0100-} and 12 random bytes. */
    private static byte[] newPeerId() {
        byte[] id = new byte[20];
        new SecureRandom().nextBytes(id);
        System.arraycopy("-BS0100-".getBytes(StandardCharsets.US_ASCII), 0, id, 0, 8);
        return id;
    }

    public int peerPort() {
        return server().port();
    }

    /** This host's peer id, as it announces itself to the tracker and to peers. */
    public byte[] peerId() {
        return peerId.clone();
    }

    /** Peers refused for want of a valid access token since start. */
    public long refusedPeers() {
        return server().refusedPeers();
    }

    /** Bytes this host has uploaded to peers since start, all swarms together. */
    public long bytesUploaded() {
        return server().bytesServed();
    }

    public PieceStore store() {
        return store;
    }

    /** The session of {@code manifest}'s image, joining its swarm (starting the session) on first use. */
    public SwarmSession session(Manifest manifest) {
        PeerWireServer server = server();
        return byImage.computeIfAbsent(manifest.imageId(), id -> {
            SwarmSession s = new SwarmSession(manifest, store, announcer, settings, referrals, peerId, server.port(),
                    download,
                    piece -> announce(manifest.swarmId(), piece),
                    piece -> server.donthave(manifest.swarmId(), piece),
                    (piece, now) -> server.fetching(manifest.swarmId(), piece, now), meters, clock);
            index(manifest, s.served());
            bySwarm.put(manifest.swarmId(), s);
            cross.remove(manifest.swarmId());
            return s.start();
        });
    }

    /** Tells the swarm's peers that {@code piece} arrived, but not those this host knows hold it already. */
    private void announce(SwarmId swarm, int piece) {
        SwarmSession own = bySwarm.get(swarm);
        server().announce(swarm, piece, own == null ? null : remote -> own.peerHas(remote, piece));
    }

    /** The swarm a connecting peer names: one we run, else (cross-image) one whose image shares pieces with ours. */
    private Optional<ServedSwarm> served(SwarmId id) {
        SwarmSession own = bySwarm.get(id);
        if (own != null) {
            return Optional.of(own.served());
        }
        ServedPieces known = cross.get(id);
        if (known != null) {
            return Optional.of(known);
        }
        Instant until = unresolvedUntil.get(id);
        if (until != null && clock.instant().isBefore(until)) {
            return Optional.empty();
        }
        if (until == null && unresolvedUntil.size() >= MAX_UNRESOLVED) {
            Instant now = clock.instant();
            unresolvedUntil.values().removeIf(u -> !now.isBefore(u));
            if (unresolvedUntil.size() >= MAX_UNRESOLVED) {
                unknownSwarmsRefused.increment();
                return Optional.empty(); // a flood of made-up swarm ids: refused unresolved, remembering none
            }
        }
        Optional<Manifest> manifest = resolver.apply(id);
        if (manifest.isEmpty()) {
            unresolvedUntil.put(id, clock.instant().plus(UNRESOLVED_RETRY));
            return Optional.empty();
        }
        return Optional.of(cross.computeIfAbsent(id, k -> {
            Manifest m = manifest.get();
            ServedPieces c = new ServedPieces(m, store, piece -> server().announce(m.swarmId(), piece),
                    piece -> server().donthave(m.swarmId(), piece));
            index(m, c);
            return c;
        }));
    }

    private void index(Manifest m, ServedPieces swarm) {
        for (int i = 0; i < m.pieceCount(); i++) {
            if (!m.isZero(i)) {
                holders.computeIfAbsent(m.hash(i), h -> new CopyOnWriteArrayList<>()).add(new Holding(swarm, i));
            }
        }
    }

    /** A piece arrived in the store: every swarm whose image has it announces it. */
    private void stored(PieceHash hash) {
        List<Holding> hs = holders.get(hash);
        if (hs == null) {
            return;
        }
        for (Holding h : hs) {
            h.swarm().pieceArrived(h.piece()); // a new piece is announced in the swarm's image
        }
    }

    /** The store evicted a piece: every swarm whose image has it withdraws it. */
    private void evicted(PieceHash hash) {
        List<Holding> hs = holders.get(hash);
        if (hs == null) {
            return;
        }
        for (Holding h : hs) {
            h.swarm().pieceEvicted(h.piece());
        }
    }

    /**
     * A swarm this host serves, as a swarm report sees it.
     *
     * @param running  true for an image the host runs (has a session for), false for one it only
     *                 serves shared pieces of (cross-image)
     * @param holds    the image's pieces on this host
     * @param uploaded bytes uploaded per piece since start
     */
    public record Served(Manifest manifest, boolean running, PieceSet holds, AtomicLongArray uploaded) {
    }

    /** Every swarm this host serves or runs. */
    public List<Served> served() {
        List<Served> out = new ArrayList<>();
        byImage.values().forEach(s -> out.add(new Served(s.manifest(), true, s.served().available(),
                s.served().uploadedByPiece())));
        cross.values().forEach(c -> out.add(new Served(c.manifest(), false, c.available(), c.uploadedByPiece())));
        return out;
    }

    /** The configured upload rate in bytes per second, 0 when unlimited. */
    public long uploadRate() {
        return settings.uploadRate().toBytes();
    }

    /** Bytes uploaded to peers of images this host does not run (cross-image), by swarm. */
    public Map<SwarmId, Long> crossUploads() {
        Map<SwarmId, Long> out = new java.util.HashMap<>();
        cross.forEach((id, c) -> out.put(id, c.bytesUploaded()));
        return out;
    }

    public Optional<SwarmSession> find(UUID imageId) {
        return Optional.ofNullable(byImage.get(imageId));
    }

    /** Stops serving, leaves every swarm and closes the store. Idempotent. */
    @Override
    public void close() throws IOException {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        PeerWireServer s;
        synchronized (this) {
            s = server;
        }
        if (s != null) {
            s.close();
        }
        byImage.values().forEach(SwarmSession::close);
        store.close();
    }
}
