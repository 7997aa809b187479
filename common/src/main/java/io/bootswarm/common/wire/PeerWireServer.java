package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves pieces over the BitTorrent peer wire protocol (BEP 3), one virtual thread per
 * connection. A peer sends its handshake naming a swarm; an unknown swarm, a malformed or
 * oversize message, or a request outside what we hold closes the connection with a log line.
 * Interested peers are unchoked; requests are answered in order, and answers to pipelined
 * requests are flushed together.
 */
public final class PeerWireServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);

    /**
     * @param bind             address to listen on (port 0 picks a free one)
     * @param maxConnections   connections served at once; more are closed at accept
     * @param handshakeTimeout how long a new connection may take to send its handshake
     * @param idleTimeout      how long a connection may stay silent (BEP 3 peers keep alive every 2 min)
     */
    public record Settings(InetSocketAddress bind, int maxConnections, Duration handshakeTimeout,
                           Duration idleTimeout) {
        public static Settings defaults(InetSocketAddress bind) {
            return new Settings(bind, 512, Duration.ofSeconds(10), Duration.ofMinutes(3));
        }
    }

    private final Settings settings;
    private final SwarmDirectory directory;
    private final byte[] peerId;
    private final ServerSocket serverSocket;
    private final Semaphore slots;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicLong protocolErrors = new AtomicLong();
    private final AtomicLong blocksServed = new AtomicLong();
    private final Thread acceptor;
    private volatile boolean closed;

    /** Binds and starts accepting. */
    public PeerWireServer(Settings settings, SwarmDirectory directory, byte[] peerId) throws IOException {
        if (peerId.length != 20) {
            throw new IllegalArgumentException("peer id must be 20 bytes");
        }
        this.settings = settings;
        this.directory = directory;
        this.peerId = peerId.clone();
        this.slots = new Semaphore(settings.maxConnections());
        this.serverSocket = new ServerSocket();
        serverSocket.setReuseAddress(true);
        serverSocket.bind(settings.bind(), 128);
        this.acceptor = Thread.ofVirtual().name("peer-wire-accept-" + port()).start(this::acceptLoop);
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

    public long blocksServed() {
        return blocksServed.get();
    }

    public int openConnections() {
        return open.size();
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
        try {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout((int) settings.handshakeTimeout().toMillis());
            InputStream in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
            PeerWireWriter out = new PeerWireWriter(socket.getOutputStream());
            Handshake theirs = PeerWireReader.readHandshake(in);
            ServedSwarm swarm = directory.find(theirs.swarmId())
                    .orElseThrow(() -> new WireProtocolException("unknown swarm " + theirs.swarmId()));
            out.writeHandshake(new Handshake(Handshake.ourReserved(), theirs.swarmId(), peerId));
            PieceSet have = swarm.available();
            if (have.cardinality() > 0) {
                out.write(new PeerMessage.Bitfield(have.toBitfield()));
            }
            if (theirs.supportsExtensions()) {
                out.write(new PeerMessage.Extended(0,
                        Bencode.encode(Map.of("m", Map.of(), "v", "bootswarm/0.1", "reqq", 512L))));
            }
            out.flush();
            socket.setSoTimeout((int) settings.idleTimeout().toMillis());
            exchange(swarm, new PeerWireReader(in, WireLimits.forPieces(swarm.pieceCount())), in, out);
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
        }
    }

    private void exchange(ServedSwarm swarm, PeerWireReader reader, InputStream in, PeerWireWriter out)
            throws IOException {
        byte[] block = new byte[WireLimits.BLOCK_LENGTH];
        boolean choked = true;
        while (true) {
            PeerMessage m = reader.read();
            switch (m) {
                case PeerMessage.Interested i -> {
                    if (choked) {
                        choked = false;
                        out.write(PeerMessage.UNCHOKE);
                    }
                }
                case PeerMessage.Request r -> {
                    if (!choked) {
                        checkRequest(swarm, r);
                        swarm.readBlock(r.piece(), r.begin(), block, r.length());
                        out.writePiece(r.piece(), r.begin(), block, 0, r.length());
                        swarm.uploaded(r.length());
                        blocksServed.incrementAndGet();
                    }
                }
                case PeerMessage.Piece p -> throw new WireProtocolException("unrequested piece message");
                default -> {
                    // keep-alive, have, choke state of the other side, cancel (answers are sent in order), port
                }
            }
            if (in.available() == 0) {
                out.flush();
            }
        }
    }

    private static void checkRequest(ServedSwarm swarm, PeerMessage.Request r) throws WireProtocolException {
        int pieceLength = swarm.pieceLength(r.piece());
        if (r.begin() < 0 || (long) r.begin() + r.length() > pieceLength) {
            throw new WireProtocolException("request [" + r.begin() + ", +" + r.length() + ") outside piece "
                    + r.piece() + " of " + pieceLength + " bytes");
        }
        if (!swarm.available().contains(r.piece())) {
            throw new WireProtocolException("request for piece " + r.piece() + " we do not have");
        }
    }

    private static final Duration ACCEPT_BACKOFF = Duration.ofMillis(50);

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
    }
}
