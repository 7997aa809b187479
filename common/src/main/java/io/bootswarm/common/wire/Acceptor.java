package io.bootswarm.common.wire;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * The listening side of a {@link PeerWireServer}: binds, accepts, and hands each connection to the
 * server on a virtual thread of its own, at most {@code maxConnections} at once (more are closed at
 * accept). Closing it stops accepting and closes every connection it handed out.
 */
final class Acceptor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);
    private static final Duration ACCEPT_BACKOFF = Duration.ofMillis(50);

    private final ServerSocket serverSocket;
    private final int maxConnections;
    private final Semaphore slots;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Consumer<Socket> serve;
    private @Nullable Thread thread;
    private volatile boolean closed;

    /** {@code serve} runs on the connection's thread; the socket is closed when it returns. */
    Acceptor(int maxConnections, Consumer<Socket> serve) {
        try {
            this.serverSocket = new ServerSocket(); // unbound until start()
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.maxConnections = maxConnections;
        this.slots = new Semaphore(maxConnections);
        this.serve = serve;
    }

    synchronized void start(InetSocketAddress bind) throws IOException {
        serverSocket.setReuseAddress(true);
        serverSocket.bind(bind, 128);
        thread = Thread.ofVirtual().name("peer-wire-accept-" + port()).start(this::loop);
    }

    /** The port it listens on; -1 before {@link #start}. */
    int port() {
        return serverSocket.getLocalPort();
    }

    InetSocketAddress address() {
        if (!serverSocket.isBound()) {
            throw new IllegalStateException("peer wire server not started");
        }
        return (InetSocketAddress) serverSocket.getLocalSocketAddress();
    }

    /** Connections open now. */
    int open() {
        return open.size();
    }

    private void loop() {
        while (!closed) {
            Socket s;
            try {
                s = serverSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    // e.g. out of file descriptors: back off instead of spinning on the error
                    log.warn("peer wire accept failed: {}", e.toString());
                    try {
                        Thread.sleep(ACCEPT_BACKOFF);
                    } catch (InterruptedException x) {
                        return;
                    }
                }
                continue;
            }
            if (!slots.tryAcquire()) {
                log.warn("peer wire connection from {} refused: {} connections open", s.getRemoteSocketAddress(),
                        maxConnections);
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
                    serve.accept(s);
                } finally {
                    open.remove(s);
                    closeQuietly(s);
                    slots.release();
                }
            });
        }
    }

    static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            serverSocket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        open.forEach(Acceptor::closeQuietly);
        if (thread != null) {
            thread.interrupt();
        }
    }
}
