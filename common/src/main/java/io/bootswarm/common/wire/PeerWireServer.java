package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.time.MonotonicClock;
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
import java.time.Duration;
import java.time.InstantSource;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves pieces over the BitTorrent peer wire protocol (BEP 3). A peer sends its handshake naming
 * a swarm; an unknown swarm, a malformed or oversize message, or a request outside what we hold
 * closes the connection with a log line. Each connection has a reader and a writer thread
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
 * waits; one more, optimistic, slot goes to a random waiting peer every {@link Choker#ROTATE_AFTER}. Peers
 * whose BEP 10 extended handshake says {@code urgent} (our agents' demand connections) are unchoked at
 * once and outside the slots. All uploads share the {@link RateLimiter} of the settings, urgent
 * connections first. Pieces that become available later are announced to connected peers with
 * {@code have} ({@link #announce}).
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
     * @param bind              address to listen on (port 0 picks a free one)
     * @param maxConnections    connections served at once; more are closed at accept
     * @param handshakeTimeout  how long a new connection may take to send its handshake
     * @param idleTimeout       how long a connection may stay silent (BEP 3 peers keep alive every 2 min)
     * @param uploadSlots       interested peers unchoked at once (plus one optimistic and the urgent ones)
     * @param maxQueuedRequests requests a peer may have outstanding; more closes the connection
     * @param uploadLimit       the host's upload rate, shared by all connections
     * @param writeTimeout      a connection whose peer stops reading for this long is closed
     */
    public record Settings(InetSocketAddress bind, int maxConnections, Duration handshakeTimeout,
                           Duration idleTimeout, int uploadSlots, int maxQueuedRequests, RateLimiter uploadLimit,
                           Duration writeTimeout) {

        /** Settings with every interested peer unchoked, no rate limit, 1024 requests queued at most. */
        public Settings(InetSocketAddress bind, int maxConnections, Duration handshakeTimeout, Duration idleTimeout) {
            this(bind, maxConnections, handshakeTimeout, idleTimeout, Integer.MAX_VALUE - 1, 1024,
                    RateLimiter.UNLIMITED, Duration.ofSeconds(60));
        }

        public static Settings defaults(InetSocketAddress bind) {
            return new Settings(bind, 512, Duration.ofSeconds(10), Duration.ofMinutes(3));
        }

        /** These settings with {@code slots} upload slots and the upload rate {@code limit}. */
        public Settings withUpload(int slots, RateLimiter limit) {
            return new Settings(bind, maxConnections, handshakeTimeout, idleTimeout, slots, maxQueuedRequests, limit,
                    writeTimeout);
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
    private final AtomicLong bytesServed = new AtomicLong();
    private final AtomicLong droppedRequests = new AtomicLong();
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
        this.acceptor = new Acceptor(settings.maxConnections(), this::serve);
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
        return this;
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

    /** Requests dropped because the peer was choked when they arrived (BEP 3). */
    long droppedRequests() {
        return droppedRequests.get();
    }

    void requestDropped() {
        droppedRequests.incrementAndGet();
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

    /** Tells the peers connected for {@code swarm} that {@code piece} is now available ({@code have}). */
    public void announce(SwarmId swarm, int piece) {
        for (UploadConnection c : connections) {
            if (c.swarmId.equals(swarm)) {
                c.send(new PeerMessage.Have(piece));
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
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) settings.handshakeTimeout().toMillis());
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            PeerWireWriter out = new PeerWireWriter(socket.getOutputStream());
            Handshake theirs = PeerWireReader.readHandshake(in);
            ServedSwarm swarm = directory.find(theirs.swarmId())
                    .orElseThrow(() -> new WireProtocolException("unknown swarm " + theirs.swarmId()));
            out.writeHandshake(new Handshake(Handshake.ourReserved(), theirs.swarmId(), peerId));
            if (theirs.supportsExtensions()) {
                // BEP 10: sent right after the handshake, before the bitfield (which waits for the peer's
                // extended handshake, where its access token is)
                out.write(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(), "v", "bootswarm/0.1",
                        "reqq", (long) settings.maxQueuedRequests()))));
            }
            out.flush();
            PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(swarm.pieceCount()));
            Preamble preamble = theirs.supportsExtensions()
                    ? Preamble.read(socket, reader, settings.handshakeTimeout(), clock) : Preamble.NONE;
            PeerAccess.Admission admission = preamble == null
                    ? PeerAccess.Admission.refused("no-extended-handshake")
                    : access.admit(theirs.swarmId(), theirs.peerId(), preamble.token());
            if (preamble == null || !admission.admitted()) {
                refused.incrementAndGet();
                log.warn("refusing peer {} for swarm {}: {}", remote, theirs.swarmId(), admission.reason());
                return;
            }
            // registered before the bitfield is taken, so that a piece announced from now on reaches this
            // peer: its have is queued and sent by the writer after the bitfield
            connection = new UploadConnection(socket, theirs.swarmId(), swarm, out, this,
                    settings.maxQueuedRequests(), clock);
            connections.add(connection);
            PieceSet have = swarm.available();
            if (have.cardinality() > 0) {
                out.write(new PeerMessage.Bitfield(have.toBitfield()));
            }
            out.flush();
            Map<?, ?> extended = preamble.handshake();
            if (extended != null) {
                connection.extendedHandshake(extended);
            }
            if (preamble.interested()) {
                connection.interestedEarly();
            }
            socket.setSoTimeout((int) settings.idleTimeout().toMillis());
            connection.readLoop(reader);
        } catch (EOFException | SocketException e) {
            log.debug("peer {} disconnected: {}", remote, e.toString());
        } catch (SocketTimeoutException e) {
            log.info("closing silent peer {}", remote);
        } catch (WireProtocolException e) {
            protocolErrors.incrementAndGet();
            log.warn("closing peer {}: protocol error: {}", remote, e.getMessage());
        } catch (IOException e) {
            log.warn("closing peer {}: {}", remote, e.toString());
        } catch (RuntimeException e) {
            // a failing ServedSwarm (e.g. its store went away): drop this connection, keep serving
            log.warn("closing peer {}: serving failed", remote, e);
        } finally {
            if (connection != null) {
                connection.close();
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
    }
}
