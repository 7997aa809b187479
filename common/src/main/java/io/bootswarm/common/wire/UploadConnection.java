package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.time.InstantSource;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;

/**
 * One connection of a {@link PeerWireServer}, from the uploading side: the server's reader thread
 * files the peer's requests into a bounded queue; a writer thread sends control messages (choke,
 * unchoke, have, keep-alive) first and then the queued blocks, each after taking its bytes from
 * the swarm's limiter for the piece ({@link ServedSwarm#limiterFor}) and then from the host's
 * upload {@link RateLimiter}. A connection whose extended handshake says
 * {@code urgent} carries demand fetches: it is never choked and goes first at the rate limiter.
 * Its time stamps are nanoseconds of the server's clock ({@link MonotonicClock#nanos}).
 */
final class UploadConnection {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);
    private static final Object WAKE = new Object();
    private static final long KEEP_ALIVE_AFTER = TimeUnit.SECONDS.toNanos(90);

    final Socket socket;
    final SwarmId swarmId;
    final ServedSwarm swarm;
    private final PeerWireWriter out;
    private final PeerWireServer server;
    private final ConcurrentLinkedQueue<PeerMessage> control = new ConcurrentLinkedQueue<>();
    private final LinkedBlockingDeque<Object> requests;
    private final int maxQueued;
    volatile boolean interested;
    volatile boolean choked = true;
    volatile boolean urgent;
    volatile boolean optimistic;
    volatile long interestedSince;
    volatile long unchokedAt;
    volatile long writingSince;
    private final InstantSource clock;
    private volatile long lastWrite;
    private volatile boolean closed;

    UploadConnection(Socket socket, SwarmId swarmId, ServedSwarm swarm, PeerWireWriter out, PeerWireServer server,
                     int maxQueued, InstantSource clock) {
        this.clock = clock;
        this.lastWrite = MonotonicClock.nanos(clock);
        this.socket = socket;
        this.swarmId = swarmId;
        this.swarm = swarm;
        this.out = out;
        this.server = server;
        this.maxQueued = maxQueued;
        this.requests = new LinkedBlockingDeque<>();
    }

    /** The reader loop: runs on the connection's own thread until the peer leaves or misbehaves. */
    void readLoop(PeerWireReader reader) throws IOException {
        Thread writer = Thread.ofVirtual().name("peer-wire-writer-" + socket.getRemoteSocketAddress())
                .start(this::writeLoop);
        try {
            while (!closed) {
                switch (reader.read()) {
                    case PeerMessage.Interested i -> {
                        if (!interested) {
                            interested = true;
                            interestedSince = MonotonicClock.nanos(clock);
                            server.interestChanged(this);
                        }
                    }
                    case PeerMessage.NotInterested n -> {
                        if (interested) {
                            interested = false;
                            server.interestChanged(this);
                        }
                    }
                    case PeerMessage.Request r -> request(r);
                    case PeerMessage.Cancel c -> requests.removeIf(o -> o instanceof PeerMessage.Request r
                            && r.piece() == c.piece() && r.begin() == c.begin() && r.length() == c.length());
                    case PeerMessage.Extended e when e.extendedId() == 0 -> extendedHandshake(e.payload());
                    case PeerMessage.Piece p -> throw new WireProtocolException("unrequested piece message");
                    default -> {
                        // keep-alive, have, bitfield, the peer's own choke state, port, extension messages
                    }
                }
            }
        } finally {
            closed = true;
            requests.offer(WAKE);
            writer.interrupt();
        }
    }

    private void request(PeerMessage.Request r) throws WireProtocolException {
        int pieceLength = swarm.pieceLength(r.piece());
        if (r.begin() < 0 || (long) r.begin() + r.length() > pieceLength) {
            throw new WireProtocolException("request [" + r.begin() + ", +" + r.length() + ") outside piece "
                    + r.piece() + " of " + pieceLength + " bytes");
        }
        if (!swarm.available().contains(r.piece())) {
            throw new WireProtocolException("request for piece " + r.piece() + " we do not have");
        }
        if (choked) {
            server.requestDropped(); // BEP 3: requests while choked are dropped
            return;
        }
        if (requests.size() >= maxQueued) {
            throw new WireProtocolException("more than " + maxQueued + " requests outstanding");
        }
        requests.offer(r);
    }

    private void extendedHandshake(byte[] payload) {
        try {
            if (Bencode.decode(payload) instanceof Map<?, ?> m) {
                extendedHandshake(m);
            }
        } catch (IllegalArgumentException e) {
            // an extended handshake we cannot read: treat the peer as an ordinary one
        }
    }

    /** BEP 10 extended handshake keys we use: {@code p} (the peer's listen port) and our {@code urgent}. */
    void extendedHandshake(Map<?, ?> m) {
        if (m.get("p") instanceof Long port && port > 0 && port < 65536) {
            server.peerSeen(this, port.intValue());
        }
        if (Long.valueOf(1).equals(m.get("urgent"))) {
            urgent = true;
            server.interestChanged(this);
        }
    }

    /** The peer said it was interested before it was admitted. */
    void interestedEarly() {
        if (!interested) {
            interested = true;
            interestedSince = MonotonicClock.nanos(clock);
            server.interestChanged(this);
        }
    }

    /** Queues a control message (sent before any block). */
    void send(PeerMessage m) {
        control.offer(m);
        requests.offerFirst(WAKE);
    }

    void choke() {
        if (!choked) {
            choked = true;
            optimistic = false;
            requests.clear();
            send(PeerMessage.CHOKE);
        }
    }

    void unchoke(boolean asOptimistic) {
        if (choked) {
            choked = false;
            optimistic = asOptimistic;
            unchokedAt = MonotonicClock.nanos(clock);
            send(PeerMessage.UNCHOKE);
        }
    }

    private void writeLoop() {
        byte[] block = new byte[WireLimits.BLOCK_LENGTH];
        try {
            while (!closed) {
                PeerMessage m = control.poll();
                if (m != null) {
                    write(() -> out.write(m));
                    if (control.isEmpty() && requests.isEmpty()) {
                        flush();
                    }
                    continue;
                }
                Object next = requests.poll(30, TimeUnit.SECONDS);
                if (next == null) {
                    if (MonotonicClock.nanos(clock) - lastWrite > KEEP_ALIVE_AFTER) {
                        write(() -> out.write(PeerMessage.KEEP_ALIVE));
                        flush();
                    }
                    continue;
                }
                if (next instanceof PeerMessage.Request r && !choked) {
                    swarm.limiterFor(r.piece()).acquire(r.length(), urgent);
                    server.uploadLimiter().acquire(r.length(), urgent);
                    swarm.readBlock(r.piece(), r.begin(), block, r.length());
                    write(() -> out.writePiece(r.piece(), r.begin(), block, 0, r.length()));
                    swarm.uploaded(r.length());
                    server.blockServed(r.length());
                }
                if (control.isEmpty() && requests.isEmpty()) {
                    flush();
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (IOException | RuntimeException e) {
            if (e instanceof SocketException || server.isClosed()) {
                log.debug("peer {} gone while sending: {}", socket.getRemoteSocketAddress(), e.toString());
            } else {
                log.warn("closing peer {}: sending failed: {}", socket.getRemoteSocketAddress(), e.toString());
            }
            close();
        }
    }

    @FunctionalInterface
    private interface Write {
        void run() throws IOException;
    }

    private void write(Write w) throws IOException {
        writingSince = MonotonicClock.nanos(clock);
        try {
            w.run();
        } finally {
            writingSince = 0;
            lastWrite = MonotonicClock.nanos(clock);
        }
    }

    private void flush() throws IOException {
        write(out::flush);
    }

    void close() {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** The number of requests waiting to be served. */
    int queued() {
        int n = 0;
        for (Iterator<Object> it = requests.iterator(); it.hasNext(); ) {
            if (it.next() instanceof PeerMessage.Request) {
                n++;
            }
        }
        return n;
    }

    /** True when a write has been stuck for longer than {@code nanos}. */
    boolean stalled(long nanos) {
        long since = writingSince;
        return since != 0 && MonotonicClock.nanos(clock) - since > nanos;
    }

}
