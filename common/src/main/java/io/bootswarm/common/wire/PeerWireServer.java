package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
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
 * <p>Choking: at most {@code uploadSlots} interested peers are unchoked at once, first come first
 * served, and one that has been unchoked for {@link #ROTATE_AFTER} makes room for one that waits;
 * one more, optimistic, slot goes to a random waiting peer every {@link #ROTATE_AFTER}. Peers whose
 * BEP 10 extended handshake says {@code urgent} (our agents' demand connections) are unchoked at
 * once and outside the slots. All uploads share the {@link RateLimiter} of the settings, urgent
 * connections first. Pieces that become available later are announced to connected peers with
 * {@code have} ({@link #announce}).
 */
public final class PeerWireServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);

    /** How long a regular unchoke lasts while others wait, and how often the optimistic slot moves. */
    static final Duration ROTATE_AFTER = Duration.ofSeconds(30);
    private static final Duration RECHOKE_EVERY = Duration.ofSeconds(10);
    private static final Duration ACCEPT_BACKOFF = Duration.ofMillis(50);

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
    private final ServerSocket serverSocket;
    private final Semaphore slots;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Set<UploadConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final PeerAccess access;
    private final AtomicLong blocksServed = new AtomicLong();
    private final AtomicLong bytesServed = new AtomicLong();
    private final Object chokeLock = new Object();
    private final Thread acceptor;
    private final Thread choker;
    private long optimisticMovedAt = System.nanoTime();
    private volatile PeerListener peerListener = (swarm, host, port) -> {
    };

    /** Told of peers that connect to us and name their own listen port (BEP 10 {@code p}). */
    @FunctionalInterface
    public interface PeerListener {
        void peerSeen(SwarmId swarm, String host, int port);
    }
    private volatile boolean closed;

    /** Binds and starts accepting; each peer is served only if {@code access} admits it. */
    public PeerWireServer(Settings settings, SwarmDirectory directory, byte[] peerId, PeerAccess access)
            throws IOException {
        if (peerId.length != 20) {
            throw new IllegalArgumentException("peer id must be 20 bytes");
        }
        this.settings = settings;
        this.directory = directory;
        this.access = access;
        this.peerId = peerId.clone();
        this.slots = new Semaphore(settings.maxConnections());
        this.serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(settings.bind(), 128);
        this.acceptor = Thread.ofVirtual().name("peer-wire-accept-" + port()).start(this::acceptLoop);
        this.choker = Thread.ofVirtual().name("peer-wire-choker-" + port()).start(this::chokeLoop);
    }

    public int port() {
        return serverSocket.getLocalPort();
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) serverSocket.getLocalSocketAddress();
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
        return open.size();
    }

    /** Peers unchoked now (regular, optimistic and urgent). */
    public int unchokedConnections() {
        return (int) connections.stream().filter(c -> !c.choked).count();
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

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    // e.g. out of file descriptors: back off instead of spinning on the error
                    log.warn("peer wire accept failed: {}", e.toString());
                    pause(ACCEPT_BACKOFF);
                }
                continue;
            }
            if (!slots.tryAcquire()) {
                log.warn("peer wire connection from {} refused: {} connections open", s.getRemoteSocketAddress(),
                        settings.maxConnections());
                closeQuietly(s);
                continue;
            }
            open.add(s);
            if (closed) {
                // close() ran between accept and add, and so did not see this socket
                closeQuietly(s);
            }
            Thread.ofVirtual().name("peer-wire-" + s.getRemoteSocketAddress()).start(() -> {
                try {
                    serve(s);
                } finally {
                    open.remove(s);
                    closeQuietly(s);
                    slots.release();
                }
            });
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
            Preamble preamble = theirs.supportsExtensions() ? preamble(socket, reader) : Preamble.NONE;
            PeerAccess.Admission admission = preamble == null
                    ? PeerAccess.Admission.refused("no-extended-handshake")
                    : access.admit(theirs.swarmId(), theirs.peerId(), preamble.token());
            if (!admission.admitted()) {
                refused.incrementAndGet();
                log.warn("refusing peer {} for swarm {}: {}", remote, theirs.swarmId(), admission.reason());
                return;
            }
            // registered before the bitfield is taken, so that a piece announced from now on reaches this
            // peer: its have is queued and sent by the writer after the bitfield
            connection = new UploadConnection(socket, theirs.swarmId(), swarm, out, this,
                    settings.maxQueuedRequests());
            connections.add(connection);
            PieceSet have = swarm.available();
            if (have.cardinality() > 0) {
                out.write(new PeerMessage.Bitfield(have.toBitfield()));
            }
            out.flush();
            if (preamble.handshake() != null) {
                connection.extendedHandshake(preamble.handshake());
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

    /**
     * What a peer sent between its handshake and its BEP 10 extended handshake.
     *
     * @param handshake  its extended handshake dictionary (null if unreadable)
     * @param token      the access token in it, or null
     * @param interested whether it declared interest meanwhile
     */
    private record Preamble(Map<?, ?> handshake, byte[] token, boolean interested) {
        static final Preamble NONE = new Preamble(null, null, false);
    }

    /** Messages a peer may send before its extended handshake (a bitfield, haves, interest). */
    private static final int MAX_PREAMBLE_MESSAGES = 64;

    /**
     * Reads up to the peer's extended handshake, within the handshake timeout. Requests meanwhile are
     * dropped (the peer is choked, BEP 3); a piece is a protocol error.
     *
     * @return null when the peer sent no extended handshake in time
     */
    private Preamble preamble(Socket socket, PeerWireReader reader) throws IOException {
        long deadline = System.nanoTime() + settings.handshakeTimeout().toNanos();
        boolean interested = false;
        for (int i = 0; i < MAX_PREAMBLE_MESSAGES; i++) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (left <= 0) {
                return null;
            }
            socket.setSoTimeout((int) Math.max(1, left));
            PeerMessage m;
            try {
                m = reader.read();
            } catch (SocketTimeoutException e) {
                return null;
            }
            switch (m) {
                case PeerMessage.Extended e when e.extendedId() == 0 -> {
                    Map<?, ?> dict = null;
                    try {
                        dict = Bencode.decode(e.payload()) instanceof Map<?, ?> d ? d : null;
                    } catch (IllegalArgumentException ignored) {
                        // unreadable: an ordinary peer without a token
                    }
                    byte[] token = dict != null && dict.get(PeerAccess.TOKEN_KEY) instanceof byte[] b ? b : null;
                    return new Preamble(dict, token, interested);
                }
                case PeerMessage.Interested in -> interested = true;
                case PeerMessage.NotInterested n -> interested = false;
                case PeerMessage.Piece p -> throw new WireProtocolException("unrequested piece message");
                default -> {
                    // bitfield, have, keep-alive, requests (dropped: the peer is choked)
                }
            }
        }
        throw new WireProtocolException("no extended handshake within " + MAX_PREAMBLE_MESSAGES + " messages");
    }

    void writeFailed(UploadConnection c, Exception e) {
        if (e instanceof SocketException || closed) {
            log.debug("peer {} gone while sending: {}", c.socket.getRemoteSocketAddress(), e.toString());
        } else {
            log.warn("closing peer {}: sending failed: {}", c.socket.getRemoteSocketAddress(), e.toString());
        }
    }

    /** Re-deals the upload slots after a peer's interest, urgency or connection changed. */
    void interestChanged(UploadConnection changed) {
        synchronized (chokeLock) {
            if (!changed.interested || !connections.contains(changed)) {
                changed.choke();
            }
            rechoke(false);
        }
    }

    private void chokeLoop() {
        while (!closed) {
            pause(RECHOKE_EVERY);
            synchronized (chokeLock) {
                rechoke(true);
            }
            long stall = settings.writeTimeout().toNanos();
            for (UploadConnection c : connections) {
                if (c.stalled(stall)) {
                    log.warn("closing peer {}: it has not read for {}", c.socket.getRemoteSocketAddress(),
                            settings.writeTimeout());
                    c.close();
                }
            }
        }
    }

    /** Called with {@link #chokeLock} held. */
    private void rechoke(boolean rotate) {
        long now = System.nanoTime();
        List<UploadConnection> waiting = new ArrayList<>();
        List<UploadConnection> regular = new ArrayList<>();
        UploadConnection optimistic = null;
        for (UploadConnection c : connections) {
            if (!c.interested) {
                continue;
            }
            if (c.urgent) {
                c.unchoke(false);
            } else if (c.choked) {
                waiting.add(c);
            } else if (c.optimistic) {
                optimistic = c;
            } else {
                regular.add(c);
            }
        }
        waiting.sort(Comparator.comparingLong(c -> c.interestedSince));
        if (rotate && !waiting.isEmpty()) {
            regular.sort(Comparator.comparingLong(c -> c.unchokedAt));
            for (UploadConnection c : List.copyOf(regular)) {
                if (waiting.isEmpty() || now - c.unchokedAt < ROTATE_AFTER.toNanos()) {
                    break;
                }
                c.choke();
                regular.remove(c);
                c.interestedSince = now; // back of the line
                waiting.add(c);
            }
        }
        while (regular.size() < settings.uploadSlots() && !waiting.isEmpty()) {
            UploadConnection c = waiting.removeFirst();
            c.unchoke(false);
            regular.add(c);
        }
        boolean moveOptimistic = optimistic == null || (rotate && now - optimisticMovedAt > ROTATE_AFTER.toNanos());
        if (moveOptimistic && !waiting.isEmpty()) {
            if (optimistic != null) {
                optimistic.choke();
            }
            waiting.get(ThreadLocalRandom.current().nextInt(waiting.size())).unchoke(true);
            optimisticMovedAt = now;
        }
    }

    private static void pause(Duration d) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(PeerWireServer::closeQuietly);
        acceptor.interrupt();
        choker.interrupt();
    }
}
