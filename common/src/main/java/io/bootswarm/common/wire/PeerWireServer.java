package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.time.MonotonicClock;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

/**
 * Serves pieces over the BitTorrent peer wire protocol (BEP 3). A peer sends its handshake naming
 * a swarm; an unknown swarm, a malformed or oversize message, or a request outside the piece's bounds
 * closes the connection with a log line. A request for a piece we do not hold (e.g. evicted since we
 * announced it) does not: with the BEP 6 fast extension (our handshake sets its bit) it is rejected,
 * without it dropped; {@link #donthave} withdraws a piece (BEP 54 {@code lt_donthave} to the peers
 * that asked for it), and {@link #fetching} tells them which pieces this host is fetching now ({@link Fetching
 * bs_fetching}, to those that asked for it). Each connection has a reader and a writer thread
 * (virtual); see {@link UploadConnection}.
 *
 * <p>Access: after the handshakes (BEP 3, then our BEP 10 extended handshake, which BEP 10 lets
 * come before the bitfield) the server waits, at most the handshake timeout, for the peer's
 * extended handshake and asks {@link PeerAccess} whether to serve the peer, with the access token
 * found there ({@value PeerAccess#TOKEN_KEY}) or none (a peer that does not set the BEP 10 bit is
 * asked about at once, without a token). A refused peer is closed with one log line and counted
 * ({@link #refusedPeers()}) before it learns a single piece: the bitfield is sent only after.
 *
 * <p>Choking ({@link Choker}): at most {@code uploadSlots} interested peers are unchoked at once, first
 * come first served, and one that has been unchoked for {@link Choker#ROTATE_AFTER} makes room for one that
 * waits; one more, optimistic, slot goes to a random waiting peer every {@link Choker#ROTATE_AFTER}. Pieces
 * that become available later are announced to connected peers with {@code have} ({@link #announce}).
 *
 * <p>Urgent connections (BEP 10 extended handshake {@code urgent: 1}: our agents' demand fetches) are served
 * first only within a budget, so that claiming the flag cannot starve anyone:
 * <ul>
 *   <li>Each urgent connection has an allowance that refills at {@code urgentShare} of the upload rate divided
 *       by the urgent connections that sent a request within the last round ({@link Choker#RECHOKE_EVERY}),
 *       holding at most a second of that rate. While it has allowance its blocks go before normal ones at the
 *       rate limiters; without, they wait in line with the normal ones. Each class is served first come first
 *       served ({@link RateLimiter}), so urgent connections take turns, and normal peers keep at least
 *       {@code 1 - urgentShare} of the rate, shared in turns with urgent connections over their allowance.</li>
 *   <li>An urgent connection within its allowance is unchoked at once, outside the slots; one that ran out of
 *       it in the last round is dealt a slot like any other peer and choked first when the slots are full.</li>
 *   <li>With no upload limit (neither the host's nor the piece's) there is no rate to share: urgency then only
 *       decides the unchoke, and TCP shares the link among the unchoked connections.</li>
 * </ul>
 *
 * <p>Deadlines and caps, each counted for metrics: the whole preamble (handshake, extended handshake with
 * its token) must arrive within {@code handshakeTimeout} of the accept; a connection on which the peer could
 * request but sends no request for {@code idleTimeout} is closed (keep-alives do not count; a peer waiting for
 * an unchoke is not idle); at most {@code maxConnections} connections, and {@code maxPerAddress} from one
 * address, are open at once. A handshake naming a swarm the {@link SwarmDirectory} does not serve closes the
 * connection before anything is kept about it.
 *
 * <p>Referrals ({@link #referring}, off unless turned on; the seed turns them on): a demand (urgent) request for a
 * piece this server sent whole, or referred someone for, within a window is answered once per connection and piece
 * with {@link Referral bs_referral} naming those agents and BEP 6 rejects, when the peer asked for
 * {@code bs_referral}; the second request is served. See {@link UploadConnection}.
 *
 * <p>Parts: {@link Acceptor} listens and caps the connections, this class answers the handshakes and
 * admits peers, {@link UploadConnection} serves one admitted peer, {@link Choker} deals the upload slots.
 *
 * <p>Life cycle: the constructor only builds; {@link #start()} binds and starts the threads;
 * {@link #close()} stops them and may be called any number of times. Time (the choke rotation, the
 * extended handshake's deadline, stalled writes) is read from the {@link InstantSource} it is given.
 */
public final class PeerWireServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);


    /**
     * What a {@link PeerWireServer} serves and how far it trusts a peer.
     *
     * @param bind              address to listen on (port 0 picks a free one)
     * @param maxConnections    connections served at once; more are closed at accept
     * @param handshakeTimeout  the deadline of the whole preamble (BEP 3 handshake, our BEP 10 extended
     *                          handshake with its token), counted from the accept: bytes trickling in do not
     *                          extend it
     * @param idleTimeout       a connection whose peer sends no request for this long while it could (it is not
     *                          waiting for an unchoke) and has nothing queued is closed; keep-alives do not count
     * @param uploadSlots       interested peers unchoked at once (plus one optimistic and the urgent ones)
     * @param maxQueuedRequests requests a peer may have outstanding, advertised as BEP 10 {@code reqq}; more
     *                          closes the connection
     * @param uploadLimit       the host's upload rate, shared by all connections
     * @param writeTimeout      a connection whose peer stops reading for this long is closed
     * @param maxPerAddress     connections open at once from one remote address; more are closed at accept. An
     *                          agent opens two per swarm it fetches (urgent and normal), so the default
     *                          ({@value #DEFAULT_MAX_PER_ADDRESS}) lets a host fetch 16 images at once
     * @param capLoopback       whether {@code maxPerAddress} also holds for loopback addresses. Off by default:
     *                          on loopback every peer is a process of this host (a local fleet, the fleet
     *                          tests and the bench harness run dozens of agents on 127.0.0.1), and the global
     *                          cap still holds
     * @param urgentShare       the share of the upload rate that urgent connections together may take first
     *                          (default {@value #DEFAULT_URGENT_SHARE}), see {@link PeerWireServer}
     */
    public record Settings(InetSocketAddress bind, int maxConnections, Duration handshakeTimeout,
                           Duration idleTimeout, int uploadSlots, int maxQueuedRequests, RateLimiter uploadLimit,
                           Duration writeTimeout, int maxPerAddress, boolean capLoopback, double urgentShare) {

        public static final int DEFAULT_MAX_PER_ADDRESS = 32;
        public static final double DEFAULT_URGENT_SHARE = 0.5;

        public Settings {
            if (maxConnections <= 0 || maxPerAddress <= 0 || uploadSlots <= 0 || maxQueuedRequests <= 0) {
                throw new IllegalArgumentException("connection caps, upload slots and the request queue must be "
                        + "positive");
            }
            if (!(urgentShare > 0 && urgentShare <= 1)) {
                throw new IllegalArgumentException("urgentShare must be in (0, 1]: " + urgentShare);
            }
            if (!handshakeTimeout.isPositive() || !idleTimeout.isPositive() || !writeTimeout.isPositive()) {
                throw new IllegalArgumentException("timeouts must be positive");
            }
        }

        /** These settings with the default per-address cap (loopback exempt) and urgent share. */
        public Settings(InetSocketAddress bind, int maxConnections, Duration handshakeTimeout, Duration idleTimeout,
                        int uploadSlots, int maxQueuedRequests, RateLimiter uploadLimit, Duration writeTimeout) {
            this(bind, maxConnections, handshakeTimeout, idleTimeout, uploadSlots, maxQueuedRequests, uploadLimit,
                    writeTimeout, DEFAULT_MAX_PER_ADDRESS, false, DEFAULT_URGENT_SHARE);
        }

        /** Settings with every interested peer unchoked, no rate limit, 1024 requests queued at most. */
        public Settings(InetSocketAddress bind, int maxConnections, Duration handshakeTimeout, Duration idleTimeout) {
            this(bind, maxConnections, handshakeTimeout, idleTimeout, Integer.MAX_VALUE - 1, 1024,
                    RateLimiter.UNLIMITED, Duration.ofSeconds(60));
        }

        /** 512 connections, a 10 s handshake deadline, idle connections closed after 2 minutes. */
        public static Settings defaults(InetSocketAddress bind) {
            return new Settings(bind, 512, Duration.ofSeconds(10), Duration.ofMinutes(2));
        }

        /** These settings with {@code slots} upload slots and the upload rate {@code limit}. */
        public Settings withUpload(int slots, RateLimiter limit) {
            return new Settings(bind, maxConnections, handshakeTimeout, idleTimeout, slots, maxQueuedRequests, limit,
                    writeTimeout, maxPerAddress, capLoopback, urgentShare);
        }

        /** These settings with at most {@code perAddress} connections from one address, loopback too if asked. */
        public Settings withAddressCap(int perAddress, boolean loopbackToo) {
            return new Settings(bind, maxConnections, handshakeTimeout, idleTimeout, uploadSlots, maxQueuedRequests,
                    uploadLimit, writeTimeout, perAddress, loopbackToo, urgentShare);
        }

        /** These settings with urgent connections taking at most {@code share} of the upload rate first. */
        public Settings withUrgentShare(double share) {
            return new Settings(bind, maxConnections, handshakeTimeout, idleTimeout, uploadSlots, maxQueuedRequests,
                    uploadLimit, writeTimeout, maxPerAddress, capLoopback, share);
        }
    }

    /** How often handshake deadlines and idle connections are checked. */
    static final Duration SWEEP_EVERY = Duration.ofSeconds(1);
    /**
     * The socket read timeout of an admitted connection (at least the idle timeout): a peer waiting for an
     * unchoke is not idle, but a BEP 3 peer sends a keep-alive every 2 minutes, so one silent for longer is gone.
     */
    static final Duration SILENT_PEER_TIMEOUT = Duration.ofMinutes(3);

    /** A connection that has not finished its preamble; whoever settles it first (done or expired) wins. */
    private record Handshaking(Socket socket, long deadline, AtomicBoolean settled) {

        boolean settle() {
            return settled.compareAndSet(false, true);
        }
    }

    private final Settings settings;
    private final SwarmDirectory directory;
    private final byte[] peerId;
    private final Acceptor acceptor;
    private final Set<UploadConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final PeerAccess access;
    private final AtomicLong blocksServed = new AtomicLong();
    private final AtomicLong havesLeftOut = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();
    private final AtomicLong droppedRequests = new AtomicLong();
    private final AtomicLong rejectedRequests = new AtomicLong();
    private final AtomicLong fetchingMessages = new AtomicLong();
    private final AtomicLong referrals = new AtomicLong();
    private volatile @Nullable ReferralBook referralBook;
    private final AtomicLong handshakeTimeouts = new AtomicLong();
    private final AtomicLong idleCloses = new AtomicLong();
    private final Set<Handshaking> handshaking = ConcurrentHashMap.newKeySet();
    private volatile int activeUrgent;
    private @Nullable Thread sweeper;
    private final InstantSource clock;
    private final Choker choker;
    private boolean started;
    private volatile PeerListener peerListener = (swarm, host, port) -> {
    };
    private volatile boolean closed;

    /** Told of peers that connect to us and name their own listen port (BEP 10 {@code p}). */
    @FunctionalInterface
    public interface PeerListener {
        void peerSeen(SwarmId swarm, String host, int port);
    }

    /**
     * A server on the production clock ({@link MonotonicClock#system()}); it listens from {@link #start()}.
     * Each peer is served only if {@code access} admits it.
     */
    public PeerWireServer(Settings settings, SwarmDirectory directory, byte[] peerId, PeerAccess access) {
        this(settings, directory, peerId, access, MonotonicClock.system());
    }

    /** A server that reads time (choke rotation, handshake deadline, stalled writes) from {@code clock}. */
    public PeerWireServer(Settings settings, SwarmDirectory directory, byte[] peerId, PeerAccess access,
                          InstantSource clock) {
        if (peerId.length != 20) {
            throw new IllegalArgumentException("peer id must be 20 bytes");
        }
        this.settings = settings;
        this.directory = directory;
        this.access = access;
        this.peerId = peerId.clone();
        this.clock = clock;
        this.acceptor = new Acceptor(settings.maxConnections(), settings.maxPerAddress(), settings.capLoopback(),
                this::serve);
        this.choker = new Choker(connections, settings.uploadSlots(), settings.writeTimeout(), clock);
    }

    /**
     * Binds the listening socket and starts accepting peers and dealing the upload slots.
     *
     * @return this server, for {@code new PeerWireServer(...).start()}
     * @throws IllegalStateException if it was started or closed before
     */
    public synchronized PeerWireServer start() throws IOException {
        if (closed || started) {
            throw new IllegalStateException(closed ? "peer wire server closed" : "peer wire server already started");
        }
        started = true;
        acceptor.start(settings.bind());
        choker.start("peer-wire-choker-" + port());
        sweeper = Thread.ofVirtual().name("peer-wire-sweeper-" + port()).start(this::sweepLoop);
        return this;
    }

    private void sweepLoop() {
        while (!closed) {
            try {
                Thread.sleep(SWEEP_EVERY);
            } catch (InterruptedException e) {
                return;
            }
            sweep();
        }
    }

    /**
     * Closes the connections whose preamble is past its deadline and those idle for the idle timeout, and
     * counts the urgent connections in use; runs every {@link #SWEEP_EVERY}, and tests that move the clock
     * call it themselves.
     */
    void sweep() {
        long now = MonotonicClock.nanos(clock);
        for (Handshaking h : handshaking) {
            if (now - h.deadline() >= 0 && h.settle()) {
                handshaking.remove(h);
                handshakeTimedOut(h.socket());
                Acceptor.closeQuietly(h.socket());
            }
        }
        long idle = settings.idleTimeout().toNanos();
        long round = Choker.RECHOKE_EVERY.toNanos();
        int urgent = 0;
        for (UploadConnection c : connections) {
            if (c.idle(now, idle)) {
                idleCloses.incrementAndGet();
                log.debug("closing peer {}: no request for {}", c.socket.getRemoteSocketAddress(),
                        settings.idleTimeout());
                c.close();
            } else if (c.urgent && c.requestedWithin(now, round)) {
                urgent++;
            }
        }
        activeUrgent = urgent;
        ReferralBook book = referralBook;
        if (book != null) {
            book.prune(now);
        }
    }

    private void handshakeTimedOut(Socket socket) {
        handshakeTimeouts.incrementAndGet();
        log.debug("closing peer {}: no complete handshake within {} of the accept", socket.getRemoteSocketAddress(),
                settings.handshakeTimeout());
    }

    /**
     * The rate at which one urgent connection's allowance refills: {@code urgentShare} of the upload rate (of
     * the piece's own limiter when the host's upload is not limited), shared by the urgent connections that
     * sent a request within the last round; 0 when nothing is limited.
     */
    double urgentRatePerPeer(RateLimiter pieceLimit) {
        long host = settings.uploadLimit().bytesPerSecond();
        long piece = pieceLimit.bytesPerSecond();
        long rate = host > 0 && piece > 0 ? Math.min(host, piece) : Math.max(host, piece);
        return rate * settings.urgentShare() / Math.max(1, activeUrgent);
    }

    /** The port it listens on; -1 before {@link #start()}. */
    public int port() {
        return acceptor.port();
    }

    /** The address it listens on. */
    public InetSocketAddress address() {
        return acceptor.address();
    }

    /** Connections closed because the peer broke the protocol. */
    public long protocolErrors() {
        return protocolErrors.get();
    }

    /** Connections closed because {@link PeerAccess} refused the peer (no valid token, say). */
    public long refusedPeers() {
        return refused.get();
    }

    public long blocksServed() {
        return blocksServed.get();
    }

    /** Block bytes sent to peers since start. */
    public long bytesServed() {
        return bytesServed.get();
    }

    public int openConnections() {
        return acceptor.open();
    }

    /** Peers unchoked now (regular, optimistic and urgent). */
    public int unchokedConnections() {
        return (int) connections.stream().filter(c -> !c.choked).count();
    }

    /** Connections closed at accept because {@code maxConnections} were open. */
    public long refusedAtConnectionCap() {
        return acceptor.refusedAtGlobalCap();
    }

    /** Connections closed at accept because their remote address had {@code maxPerAddress} open. */
    public long refusedAtAddressCap() {
        return acceptor.refusedAtAddressCap();
    }

    /** Connections closed because their preamble was not complete by its deadline. */
    public long handshakeTimeouts() {
        return handshakeTimeouts.get();
    }

    /** Connections closed because the peer sent no request for the idle timeout. */
    public long idleCloses() {
        return idleCloses.get();
    }

    /** Connections accepted whose preamble is not complete yet. */
    int pendingHandshakes() {
        return handshaking.size();
    }

    /** The connections admitted and open now, for tests. */
    Set<UploadConnection> connections() {
        return java.util.Collections.unmodifiableSet(connections);
    }

    /** Requests dropped because the peer was choked when they arrived (BEP 3). */
    long droppedRequests() {
        return droppedRequests.get();
    }

    void requestDropped() {
        droppedRequests.incrementAndGet();
    }

    /**
     * Requests for pieces we did not hold when they arrived or when their turn came (evicted meanwhile):
     * rejected (BEP 6) or dropped, the connection kept.
     */
    public long rejectedRequests() {
        return rejectedRequests.get();
    }

    void requestRejected() {
        rejectedRequests.incrementAndGet();
    }

    /** Where to report peers that connect and name their listen port. */
    public void onPeerSeen(PeerListener listener) {
        this.peerListener = listener;
    }

    void peerSeen(UploadConnection c, int port) {
        if (c.socket.getInetAddress() != null) {
            peerListener.peerSeen(c.swarmId, c.socket.getInetAddress().getHostAddress(), port);
        }
    }

    RateLimiter uploadLimiter() {
        return settings.uploadLimit();
    }

    void blockServed(int bytes) {
        blocksServed.incrementAndGet();
        bytesServed.addAndGet(bytes);
    }

    /**
     * Tells the peers connected for {@code swarm} that {@code piece} is now available ({@code have}), which also
     * ends its {@code bs_fetching} advertisement.
     */
    public void announce(SwarmId swarm, int piece) {
        announce(swarm, piece, null);
    }

    /**
     * {@link #announce(SwarmId, int)}, leaving out the peers that {@code remoteHas} (given a connection's peer id
     * from its handshake) says hold the piece already (have suppression): with a hundred agents each sending every
     * piece it gets to every peer, haves are most of the messages, and a peer that holds the piece has no use for
     * them. Null: every peer is told.
     */
    public void announce(SwarmId swarm, int piece, @Nullable Predicate<ByteBuffer> remoteHas) {
        for (UploadConnection c : connections) {
            if (c.swarmId.equals(swarm) && !c.have(piece, remoteHas)) {
                havesLeftOut.incrementAndGet();
            }
        }
    }

    /** Haves left out because the peer held the piece already. */
    public long havesLeftOut() {
        return havesLeftOut.get();
    }

    /**
     * Tells the peers connected for {@code swarm} that asked for {@link Fetching bs_fetching} that this host
     * started ({@code now}) or stopped fetching {@code piece}; coalesced per connection until its writer sends
     * them. A peer connecting later learns the pieces of {@link ServedSwarm#fetching()}.
     */
    public void fetching(SwarmId swarm, int piece, boolean now) {
        for (UploadConnection c : connections) {
            if (c.swarmId.equals(swarm)) {
                c.fetching(piece, now);
            }
        }
    }

    /**
     * Turns referrals on: a demand request for a piece this server sent whole to an agent (or referred an agent
     * for) less than {@code window} ago is answered with {@link Referral bs_referral} naming up to {@code holders}
     * such agents, most recent first, once per connection and piece (see {@link UploadConnection}).
     *
     * @return this server
     */
    public PeerWireServer referring(Duration window, int holders) {
        referralBook = new ReferralBook(window, holders);
        return this;
    }

    @Nullable ReferralBook referralBook() {
        return referralBook;
    }

    /** Requests answered with a {@code bs_referral} since start. */
    public long referrals() {
        return referrals.get();
    }

    void referred() {
        referrals.incrementAndGet();
    }

    /** {@code bs_fetching} messages sent since start. */
    public long fetchingMessages() {
        return fetchingMessages.get();
    }

    void fetchingMessageSent() {
        fetchingMessages.incrementAndGet();
    }

    /**
     * Tells the peers connected for {@code swarm} that {@code piece} is no longer available (the host's cache
     * evicted it): BEP 54 {@code lt_donthave} to those that asked for it, and their queued requests for the
     * piece rejected (BEP 6) or dropped. The caller has taken the piece out of the swarm's
     * {@link ServedSwarm#available()} first, so that requests arriving from now on are rejected too.
     */
    public void donthave(SwarmId swarm, int piece) {
        for (UploadConnection c : connections) {
            if (c.swarmId.equals(swarm)) {
                c.donthave(piece);
            }
        }
    }

    /** Closes every connection of {@code swarm} (e.g. its image was deleted). */
    public void disconnect(SwarmId swarm) {
        for (UploadConnection c : connections) {
            if (c.swarmId.equals(swarm)) {
                c.close();
            }
        }
    }

    private void serve(Socket socket) {
        Object remote = socket.getRemoteSocketAddress();
        UploadConnection connection = null;
        Handshaking pending = new Handshaking(socket,
                MonotonicClock.nanos(clock) + settings.handshakeTimeout().toNanos(), new AtomicBoolean());
        handshaking.add(pending);
        try {
            socket.setTcpNoDelay(true);
            // the deadline is the sweeper's to enforce, on the clock; this only backs it up
            socket.setSoTimeout((int) SILENT_PEER_TIMEOUT.toMillis());
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            PeerWireWriter out = new PeerWireWriter(socket.getOutputStream());
            Handshake theirs = PeerWireReader.readHandshake(in);
            ServedSwarm swarm = directory.find(theirs.swarmId())
                    .orElseThrow(() -> new WireProtocolException("unknown swarm " + theirs.swarmId()));
            out.writeHandshake(new Handshake(Handshake.ourReservedWithFast(), theirs.swarmId(), peerId));
            if (theirs.supportsExtensions()) {
                // BEP 10: sent right after the handshake, before the bitfield (which waits for the peer's
                // extended handshake, where its access token is); reqq tells the peer our request budget
                out.write(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(), "v", "bootswarm/0.1",
                        "reqq", (long) settings.maxQueuedRequests()))));
            }
            out.flush();
            PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(swarm.pieceCount()));
            Preamble preamble = theirs.supportsExtensions()
                    ? Preamble.read(reader, pending.deadline(), clock) : Preamble.NONE;
            if (preamble == null || !pending.settle()) {
                throw new SocketTimeoutException("no extended handshake in time");
            }
            handshaking.remove(pending);
            PeerAccess.Admission admission = access.admit(theirs.swarmId(), theirs.peerId(), preamble.token());
            if (!admission.admitted()) {
                refused.incrementAndGet();
                log.warn("refusing peer {} for swarm {}: {}", remote, theirs.swarmId(), admission.reason());
                return;
            }
            // registered before the bitfield is taken, so that a piece announced from now on reaches this
            // peer: its have is queued and sent by the writer after the bitfield
            connection = new UploadConnection(socket, theirs.swarmId(), theirs.peerId(), swarm, out, this,
                    settings.maxQueuedRequests(), theirs.supportsFast(), clock);
            connections.add(connection);
            socket.setSoTimeout((int) Math.max(settings.idleTimeout().toMillis(), SILENT_PEER_TIMEOUT.toMillis()));
            PieceSet have = swarm.available();
            if (have.cardinality() > 0) {
                out.write(new PeerMessage.Bitfield(have.toBitfield()));
            } else if (connection.fast()) {
                out.write(PeerMessage.HAVE_NONE); // BEP 6: one of bitfield, have all, have none comes first
            }
            out.flush();
            for (int piece : swarm.fetching()) {
                connection.fetching(piece, true); // changes from now on reach the connection directly
            }
            Map<?, ?> extended = preamble.handshake();
            if (extended != null) {
                connection.extendedHandshake(extended);
            }
            if (preamble.interested()) {
                connection.interestedEarly();
            }
            connection.readLoop(reader);
        } catch (SocketTimeoutException e) {
            if (pending.settle()) {
                handshakeTimedOut(socket);
            } else if (connection != null) {
                log.info("closing silent peer {}", remote);
            }
        } catch (EOFException | SocketException e) {
            log.debug("peer {} disconnected: {}", remote, e.toString());
        } catch (WireProtocolException e) {
            protocolErrors.incrementAndGet();
            log.warn("closing peer {}: protocol error: {}", remote, e.getMessage());
        } catch (IOException e) {
            log.warn("closing peer {}: {}", remote, e.toString());
        } catch (RuntimeException e) {
            // a failing ServedSwarm (e.g. its store went away): drop this connection, keep serving
            log.warn("closing peer {}: serving failed", remote, e);
        } finally {
            handshaking.remove(pending);
            if (connection != null) {
                connection.closeAndJoin();
                connections.remove(connection);
                interestChanged(connection);
            }
        }
    }

    boolean isClosed() {
        return closed;
    }

    /** Re-deals the upload slots after a peer's interest, urgency or connection changed. */
    void interestChanged(UploadConnection changed) {
        choker.interestChanged(changed);
    }

    /** The upload slots' dealer, for tests that move the clock and tick it. */
    Choker choker() {
        return choker;
    }

    /** Stops listening and closes every connection; closing twice, or a server never started, is harmless. */
    @Override
    public synchronized void close() {
        closed = true;
        acceptor.close();
        choker.close();
        if (sweeper != null) {
            sweeper.interrupt();
        }
    }
}
