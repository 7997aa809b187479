package io.bootswarm.common.wire;

import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * The listening side of a {@link PeerWireServer}: binds, accepts, and hands each connection to the
 * server on a virtual thread of its own, at most {@code maxConnections} at once and at most
 * {@code maxPerAddress} from one remote address (loopback addresses only if {@code capLoopback}); a
 * connection beyond either cap is closed at accept, logged at debug level and counted
 * ({@link #refusedAtGlobalCap()}, {@link #refusedAtAddressCap()}). Closing it stops accepting and closes
 * every connection it handed out.
 */
final class Acceptor implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PeerWireServer.class);
    private static final Duration ACCEPT_BACKOFF = Duration.ofMillis(50);

    private final ServerSocket serverSocket;
    private final int maxConnections;
    private final int maxPerAddress;
    private final boolean capLoopback;
    private final Semaphore slots;
    private final Map<InetAddress, Integer> perAddress = new ConcurrentHashMap<>();
    private final AtomicLong refusedAtGlobalCap = new AtomicLong();
    private final AtomicLong refusedAtAddressCap = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Consumer<Socket> serve;
    private @Nullable Thread thread;
    private volatile boolean closed;

    /** {@code serve} runs on the connection's thread; the socket is closed when it returns. */
    Acceptor(int maxConnections, int maxPerAddress, boolean capLoopback, Consumer<Socket> serve) {
        try {
            this.serverSocket = new ServerSocket(); // unbound until start()
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.maxConnections = maxConnections;
        this.maxPerAddress = maxPerAddress;
        this.capLoopback = capLoopback;
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

    /** Connections closed at accept because {@code maxConnections} were open. */
    long refusedAtGlobalCap() {
        return refusedAtGlobalCap.get();
    }

    /** Connections closed at accept because their address had {@code maxPerAddress} open. */
    long refusedAtAddressCap() {
        return refusedAtAddressCap.get();
    }

    /** Takes one of the address's places; false if it has none left. */
    private boolean admitFrom(InetAddress address) {
        if (!capLoopback && address.isLoopbackAddress()) {
            return true;
        }
        boolean[] admitted = {false};
        perAddress.compute(address, (a, n) -> {
            if (n == null) {
                admitted[0] = true;
                return 1;
            }
            admitted[0] = n < maxPerAddress;
            return admitted[0] ? n + 1 : n;
        });
        return admitted[0];
    }

    private void leave(InetAddress address) {
        if (!capLoopback && address.isLoopbackAddress()) {
            return;
        }
        perAddress.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
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
            InetAddress from = s.getInetAddress();
            if (!slots.tryAcquire()) {
                refusedAtGlobalCap.incrementAndGet();
                log.debug("peer wire connection from {} refused: {} connections open", s.getRemoteSocketAddress(),
                        maxConnections);
                closeQuietly(s);
                continue;
            }
            if (!admitFrom(from)) {
                slots.release();
                refusedAtAddressCap.incrementAndGet();
                log.debug("peer wire connection from {} refused: {} connections open from that address",
                        s.getRemoteSocketAddress(), maxPerAddress);
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
                    leave(from);
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
