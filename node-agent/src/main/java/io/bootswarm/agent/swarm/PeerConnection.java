package io.bootswarm.agent.swarm;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.WireLimits;
import io.bootswarm.common.wire.WireProtocolException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Our side of one peer wire connection (BEP 3) used for downloading: handshake, the peer's
 * bitfield and have messages, interested/unchoke, and whole-piece requests sent as pipelined
 * 16 KiB block requests. A reader thread (virtual) files incoming blocks into the piece they
 * belong to; a piece completes when all its blocks are in. Any protocol violation closes the
 * connection and fails what was outstanding on it.
 */
final class PeerConnection implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerConnection.class);

    private final Peer peer;
    private final Socket socket;
    private final PeerWireWriter writer;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final PieceSet has;
    private final int pieceCount;
    private final Map<Integer, PendingPiece> pending = new ConcurrentHashMap<>();
    private volatile boolean choked = true;
    private volatile boolean closed;
    private final InstantSource clock;
    private volatile Instant lastWrite;
    private final Runnable onChange;
    private final boolean urgent;
    private final RateLimiter download;

    /** A piece being assembled from blocks. */
    static final class PendingPiece {
        final int piece;
        final byte[] data;
        int blocksLeft;
        final CompletableFuture<byte[]> done = new CompletableFuture<>();

        PendingPiece(int piece, int length) {
            this.piece = piece;
            this.data = new byte[length];
            this.blocksLeft = (length + WireLimits.BLOCK_LENGTH - 1) / WireLimits.BLOCK_LENGTH;
        }
    }

    private PeerConnection(Peer peer, Socket socket, PeerWireWriter writer, int pieceCount, Runnable onChange,
                           boolean urgent, RateLimiter download, InstantSource clock) {
        this.peer = peer;
        this.clock = clock;
        this.lastWrite = clock.instant();
        this.onChange = onChange;
        this.urgent = urgent;
        this.download = download;
        this.socket = socket;
        this.writer = writer;
        this.pieceCount = pieceCount;
        this.has = new PieceSet(pieceCount);
    }

    /**
     * Connects and handshakes; the reader thread starts at once.
     *
     * @param onChange run whenever the peer's pieces or choke state change, or the connection closes
     * @param urgent   a connection for demand fetches: it says so in its BEP 10 extended handshake, so that
     *                 our agents serve it before other connections, and it goes first at our download limiter
     * @param download the host's download rate limiter
     * @param token    our peer access token for {@code swarm} (from the last announce), sent in our BEP 10
     *                 extended handshake as {@value PeerAccess#TOKEN_KEY}; null for none (the peer then
     *                 refuses us unless it serves everyone)
     * @param clock    what keep-alives and piece timeouts are measured on
     *
     * @throws WireProtocolException if the peer answers for another swarm
     */
    static PeerConnection open(Peer peer, SwarmId swarm, byte[] ourPeerId, int listenPort, int pieceCount,
                               Duration timeout, Runnable onChange, boolean urgent, RateLimiter download,
                               byte[] token, InstantSource clock) throws IOException {
        Socket s = new Socket();
        try {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(peer.host(), peer.port()), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            PeerWireWriter w = new PeerWireWriter(s.getOutputStream());
            w.writeHandshake(new Handshake(Handshake.ourReserved(), swarm, ourPeerId));
            w.flush();
            InputStream in = new BufferedInputStream(s.getInputStream(), 64 * 1024);
            Handshake theirs = PeerWireReader.readHandshake(in);
            if (!theirs.swarmId().equals(swarm)) {
                throw new WireProtocolException("peer answered for swarm " + theirs.swarmId() + ", not " + swarm);
            }
            if (theirs.supportsExtensions()) {
                // BEP 10: both sides set the extension bit, so we may send our extended handshake
                // "p" (our listen port, BEP 10) lets the peer connect back and download from us too
                Map<String, Object> ours = new HashMap<>(Map.of("m", Map.of(), "v", "bootswarm/0.1",
                        "p", (long) listenPort));
                if (urgent) {
                    ours.put("urgent", 1L);
                }
                if (token != null) {
                    ours.put(PeerAccess.TOKEN_KEY, token);
                }
                w.write(new PeerMessage.Extended(0, Bencode.encode(ours)));
                w.flush();
            }
            s.setSoTimeout(0);
            PeerConnection c = new PeerConnection(peer, s, w, pieceCount, onChange, urgent, download, clock);
            Thread.ofVirtual().name("peer-" + peer).start(() -> c.readLoop(in));
            c.send(PeerMessage.INTERESTED);
            return c;
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    boolean isUrgent() {
        return urgent;
    }

    Peer peer() {
        return peer;
    }

    boolean isOpen() {
        return !closed;
    }

    boolean isChoked() {
        return choked;
    }

    boolean has(int piece) {
        return has.contains(piece);
    }

    int outstandingPieces() {
        return pending.size();
    }

    /**
     * Requests all blocks of {@code piece}; the future completes with its (unverified) bytes, or
     * fails if the peer chokes us, breaks the protocol or the connection closes.
     */
    CompletableFuture<byte[]> requestPiece(int piece, int length) {
        PendingPiece p = new PendingPiece(piece, length);
        if (pending.putIfAbsent(piece, p) != null) {
            return CompletableFuture.failedFuture(new IllegalStateException("piece " + piece + " already requested"));
        }
        try {
            writeLock.lock();
            try {
                for (int begin = 0; begin < length; begin += WireLimits.BLOCK_LENGTH) {
                    writer.write(new PeerMessage.Request(piece, begin, Math.min(WireLimits.BLOCK_LENGTH, length - begin)));
                }
                writer.flush();
                lastWrite = clock.instant();
            } finally {
                writeLock.unlock();
            }
        } catch (IOException e) {
            pending.remove(piece);
            close();
            p.done.completeExceptionally(e);
        }
        return p.done;
    }

    /** Withdraws a piece request (e.g. after a timeout). */
    void cancel(int piece) {
        PendingPiece p = pending.remove(piece);
        if (p == null) {
            return;
        }
        p.done.completeExceptionally(new IOException("request for piece " + piece + " cancelled"));
        try {
            writeLock.lock();
            try {
                for (int begin = 0; begin < p.data.length; begin += WireLimits.BLOCK_LENGTH) {
                    writer.write(new PeerMessage.Cancel(piece, begin,
                            Math.min(WireLimits.BLOCK_LENGTH, p.data.length - begin)));
                }
                writer.flush();
            } finally {
                writeLock.unlock();
            }
        } catch (IOException e) {
            close();
        }
    }

    /** Sends a keep-alive if nothing was written for {@code idle}. */
    void keepAlive(Duration idle) {
        if (MonotonicClock.nanosBetween(lastWrite, clock.instant()) > idle.toNanos()) {
            send(PeerMessage.KEEP_ALIVE);
        }
    }

    private void send(PeerMessage m) {
        try {
            writeLock.lock();
            try {
                writer.write(m);
                writer.flush();
                lastWrite = clock.instant();
            } finally {
                writeLock.unlock();
            }
        } catch (IOException e) {
            close();
        }
    }

    private void readLoop(InputStream in) {
        PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(pieceCount));
        try {
            while (!closed) {
                switch (reader.read()) {
                    case PeerMessage.Bitfield b -> {
                        PieceSet.fromBitfield(b.bits(), pieceCount).forEach(has::add);
                        onChange.run();
                    }
                    case PeerMessage.Have h -> {
                        has.add(h.piece());
                        onChange.run();
                    }
                    case PeerMessage.Unchoke u -> setChoked(false);
                    case PeerMessage.Choke c -> {
                        setChoked(true);
                        // BEP 3: a choke discards our outstanding requests
                        failAll(new IOException("choked by " + peer));
                    }
                    case PeerMessage.Piece p -> {
                        download.acquire(p.block().length, urgent);
                        block(p);
                    }
                    default -> {
                        // keep-alive, interest, extension messages: nothing to do for a downloader
                    }
                }
            }
        } catch (WireProtocolException e) {
            log.warn("closing connection to {}: protocol error: {}", peer, e.getMessage());
            closeWith(e);
        } catch (IOException e) {
            log.debug("connection to {} ended: {}", peer, e.toString());
            closeWith(e);
        } catch (InterruptedException e) {
            closeWith(new IOException("interrupted"));
        }
    }

    private void block(PeerMessage.Piece m) throws WireProtocolException {
        PendingPiece p = pending.get(m.piece());
        if (p == null) {
            return; // a block for a cancelled request may still arrive
        }
        if (m.begin() < 0 || m.begin() % WireLimits.BLOCK_LENGTH != 0
                || m.begin() + m.block().length > p.data.length
                || m.block().length != Math.min(WireLimits.BLOCK_LENGTH, p.data.length - m.begin())) {
            throw new WireProtocolException("block [" + m.begin() + ", +" + m.block().length + ") does not fit piece "
                    + m.piece() + " of " + p.data.length + " bytes");
        }
        boolean complete;
        synchronized (p) {
            System.arraycopy(m.block(), 0, p.data, m.begin(), m.block().length);
            complete = --p.blocksLeft == 0;
        }
        if (complete && pending.remove(m.piece(), p)) {
            p.done.complete(p.data);
        }
    }

    private void setChoked(boolean value) {
        choked = value;
        onChange.run();
    }

    private void failAll(IOException cause) {
        for (Integer piece : pending.keySet()) {
            PendingPiece p = pending.remove(piece);
            if (p != null) {
                p.done.completeExceptionally(cause);
            }
        }
    }

    private void closeWith(IOException cause) {
        closed = true;
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        failAll(cause);
        onChange.run();
    }

    @Override
    public void close() {
        closeWith(new IOException("connection to " + peer + " closed"));
    }

    /**
     * Requests {@code piece} and waits for its (unverified) bytes, at most {@code timeout} on the
     * connection's clock from before the request was sent; cancels the request on timeout.
     */
    byte[] fetch(int piece, int length, Duration timeout) throws IOException, InterruptedException {
        Instant deadline = clock.instant().plus(timeout);
        CompletableFuture<byte[]> f = requestPiece(piece, length);
        try {
            return ClockWaits.get(f, deadline, clock);
        } catch (java.util.concurrent.TimeoutException e) {
            cancel(piece);
            throw new IOException("piece " + piece + " from " + peer + " timed out after " + timeout);
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
        }
    }

    @Override
    public String toString() {
        return "PeerConnection[" + peer + (choked ? ", choked" : "") + (closed ? ", closed" : "") + "]";
    }
}
