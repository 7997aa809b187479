package io.bootswarm.fleet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * What a Kubernetes Service is to the tracker replicas behind it, in test code: one address, and each new
 * TCP connection goes to one of the backends, round robin, skipping a backend that refuses the connection
 * (a killed replica: its port is closed), as kube-proxy stops routing to a pod whose readiness failed. The
 * bytes are then copied both ways until either side closes; a backend that dies closes the client's
 * connection too, so a client's pooled connection to it fails and the client's next connection lands on a
 * live backend. Only a connection refused by every backend is closed at once.
 */
final class TcpForwarder implements AutoCloseable {

    private final ServerSocket server;
    private final List<InetSocketAddress> backends;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicLong refused = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    /** Listens on a free loopback port and forwards to {@code backends}. */
    TcpForwarder(List<InetSocketAddress> backends) throws IOException {
        this.backends = List.copyOf(backends);
        this.server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
        this.acceptor = Thread.ofVirtual().name("forwarder-accept").start(this::accept);
    }

    /** The base URL of an HTTP service behind this forwarder. */
    String url() {
        return "http://127.0.0.1:" + server.getLocalPort();
    }

    /** Connections a backend refused (each then tried on the next backend). */
    long refusedConnections() {
        return refused.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Thread.ofVirtual().name("forwarder-connect").start(() -> forward(client));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void forward(Socket client) {
        Socket backend = connect();
        if (backend == null) {
            closeQuietly(client);
            return;
        }
        open.add(client);
        open.add(backend);
        Thread.ofVirtual().name("forwarder-up").start(() -> pump(client, backend));
        Thread.ofVirtual().name("forwarder-down").start(() -> pump(backend, client));
    }

    /** The next backend in turn that accepts a connection, or null when every one refuses. */
    private Socket connect() {
        int first = Math.floorMod(next.getAndIncrement(), backends.size());
        for (int i = 0; i < backends.size(); i++) {
            Socket s = new Socket();
            try {
                s.connect(backends.get((first + i) % backends.size()), 2_000);
                s.setTcpNoDelay(true);
                return s;
            } catch (IOException e) {
                refused.incrementAndGet();
                closeQuietly(s);
            }
        }
        return null;
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[64 * 1024];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                out.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // one side is gone (a killed backend resets): the other is closed below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException e) {
            // closing
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        acceptor.interrupt();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
