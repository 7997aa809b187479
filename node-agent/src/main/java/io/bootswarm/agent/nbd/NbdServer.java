package io.bootswarm.agent.nbd;

import io.bootswarm.agent.files.PrivateFiles;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;

/**
 * An NBD server (protocol: {@code doc/proto.md} of NetworkBlockDevice/nbd) that presents
 * {@link BlockDevice}s to hypervisors and other NBD clients ({@code qemu -drive
 * file=nbd://host:port/NAME}, {@code qemu-img}, {@code nbdcopy}, the kernel's {@code nbd-client}).
 *
 * <ul>
 *   <li>Listens on TCP and/or a Unix domain socket ({@link NbdServerSettings}); the socket is bound
 *       under a private name, given mode {@code 0660} and the group the settings name, and only then
 *       renamed to its path.</li>
 *   <li>Handshake: fixed newstyle only, with {@code NBD_FLAG_NO_ZEROES}; options
 *       {@code NBD_OPT_EXPORT_NAME}, {@code NBD_OPT_ABORT}, {@code NBD_OPT_LIST},
 *       {@code NBD_OPT_INFO} and {@code NBD_OPT_GO} (with {@code NBD_INFO_EXPORT},
 *       {@code NBD_INFO_BLOCK_SIZE} = 1 / preferred / 32 MiB, and {@code NBD_INFO_NAME} on request);
 *       every other option, including structured replies, metadata contexts and extended
 *       headers, is answered {@code NBD_REP_ERR_UNSUP}. The empty export name means the only
 *       export when exactly one exists.</li>
 *   <li>TLS ("TLS support"): with {@link NbdServerSettings#tls()} TCP sessions are in FORCEDTLS mode
 *       ({@code NBD_OPT_STARTTLS}, X.509, optionally verifying client certificates; see
 *       {@link NbdTls}), Unix socket sessions in NOTLS mode ({@code NBD_REP_ERR_POLICY}); without
 *       it every session is NOTLS ({@code NBD_REP_ERR_UNSUP}). A TCP listener on an address other
 *       than loopback is refused unless TLS is set.</li>
 *   <li>Transmission: simple replies; READ, WRITE (with FUA), FLUSH, TRIM (passed to
 *       {@link BlockDevice#trim} as a hint), WRITE_ZEROES and DISC; flags
 *       {@code HAS_FLAGS|SEND_FLUSH|SEND_FUA|SEND_TRIM|SEND_WRITE_ZEROES|CAN_MULTI_CONN}.
 *       Requests of one connection are served concurrently and answered as they complete.
 *       Errors: EINVAL for reads/trims beyond the end, zero or over-32-MiB lengths, bad flags and
 *       unknown commands; ENOSPC for writes beyond the end; EIO when the device throws.</li>
 * </ul>
 *
 * <p>Exports are looked up through an {@link ExportLookup} at each negotiation, so they may be
 * added and removed while the server runs. The data path uses virtual threads and pooled direct
 * buffers (a READ reply leaves in one write, header and data together) and does not involve
 * Spring. A device that also implements {@link FileRegions} has its local bytes sent with
 * {@code sendfile} instead.
 *
 * <p>Typical use: {@code try (var server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 10809),
 * registry, meterRegistry).start()) { ... }}.
 */
public final class NbdServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);
    private static final long POOL_RETAINED_BYTES = 64L << 20;
    private static final int BACKLOG = 128;
    private static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");
    /** A socket address's path holds 108 bytes on Linux and 104 on macOS, with the terminating NUL. */
    private static final int MAX_SOCKET_PATH_BYTES = 103;

    private final NbdServerSettings settings;
    private final ExportLookup exports;
    private final NbdMetrics metrics = new NbdMetrics();
    private final BufferPool pool = new BufferPool(POOL_RETAINED_BYTES);
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    private final ThreadFactory connectionThreads = Thread.ofVirtual().name("nbd-conn-", 0).factory();

    private ServerSocketChannel tcp;
    private ServerSocketChannel unix;
    private InetSocketAddress tcpAddress;
    private boolean started;
    private volatile boolean closing;

    /** A server without a metrics registry (counters still available from {@link #stats()}). */
    public NbdServer(NbdServerSettings settings, ExportLookup exports) {
        this(settings, exports, null);
    }

    /**
     * @param meterRegistry where to publish the {@code bootswarm.nbd.*} meters, or {@code null}
     */
    public NbdServer(NbdServerSettings settings, ExportLookup exports, MeterRegistry meterRegistry) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.exports = Objects.requireNonNull(exports, "exports");
        if (meterRegistry != null) {
            metrics.bindTo(meterRegistry);
        }
    }

    /**
     * Binds the listeners and starts accepting connections.
     *
     * @return this
     * @throws IOException if a listener cannot be bound (nothing stays bound then)
     * @throws IllegalStateException if already started or closed, or if the TCP address is not a
     *                               loopback address and TLS is not set
     */
    public synchronized NbdServer start() throws IOException {
        if (started || closing) {
            throw new IllegalStateException(closing ? "closed" : "already started");
        }
        InetSocketAddress tcpBind = settings.tcpHost() == null ? null
                : new InetSocketAddress(settings.tcpHost(), settings.tcpPort());
        if (tcpBind != null && settings.tls() == null
                && (tcpBind.getAddress() == null || !tcpBind.getAddress().isLoopbackAddress())) {
            throw new IllegalStateException("NBD would listen on " + settings.tcpHost() + " beyond loopback "
                    + "without TLS, serving disk contents to anyone who connects: set "
                    + "bootswarm.agent.nbd.tls.mode=require and bootswarm.agent.nbd.tls.bundle (an SSL bundle, "
                    + "spring.ssl.bundle.pem.<name>.*), or bind bootswarm.agent.nbd.bind-address to 127.0.0.1");
        }
        started = true;
        try {
            if (tcpBind != null) {
                tcp = ServerSocketChannel.open();
                tcp.setOption(StandardSocketOptions.SO_REUSEADDR, true);
                tcp.bind(tcpBind, BACKLOG);
                tcpAddress = (InetSocketAddress) tcp.getLocalAddress();
            }
            if (settings.unixSocket() != null) {
                unix = bindUnix(settings.unixSocket(), settings.unixSocketGroup());
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(tcp);
            closeQuietly(unix);
            throw e;
        }
        if (tcp != null) {
            ServerSocketChannel listener = tcp;
            Thread.ofVirtual().name("nbd-accept-tcp").start(() -> acceptLoop(listener, true));
        }
        if (unix != null) {
            ServerSocketChannel listener = unix;
            Thread.ofVirtual().name("nbd-accept-unix").start(() -> acceptLoop(listener, false));
        }
        log.info("NBD server listening on {}{}",
                tcpAddress == null ? "" : "tcp " + tcpAddress.getHostString() + ":" + tcpAddress.getPort(),
                unix == null ? "" : (tcpAddress == null ? "" : " and ") + "unix " + settings.unixSocket());
        return this;
    }

    /** The bound TCP port (the real one when 0 was asked for), or -1 without a TCP listener or before {@link #start()}. */
    public synchronized int tcpPort() {
        return tcpAddress == null ? -1 : tcpAddress.getPort();
    }

    /** The bound TCP address, if listening on TCP. */
    public synchronized Optional<InetSocketAddress> tcpAddress() {
        return Optional.ofNullable(tcpAddress);
    }

    /** The Unix domain socket path, if listening on one. */
    public Optional<Path> unixSocket() {
        return Optional.ofNullable(settings.unixSocket());
    }

    public NbdServerSettings settings() {
        return settings;
    }

    /** Counters since creation. */
    public NbdStats stats() {
        return metrics.snapshot();
    }

    /**
     * Ends the sessions using an export (for instance after removing it from the
     * {@link ExportRegistry}): each stops reading requests, finishes those in flight, then closes.
     *
     * @return how many sessions were told to end
     */
    public int disconnect(String exportName) {
        int n = 0;
        for (NbdConnection c : connections) {
            if (exportName.equals(c.exportName())) {
                c.shutdownInput();
                n++;
            }
        }
        return n;
    }

    /**
     * Stops listening (removing the Unix socket file), lets in-flight requests finish for up to
     * {@code shutdownGrace}, then closes every connection. Idempotent.
     */
    @Override
    public void close() {
        boolean wasStarted;
        synchronized (this) {
            if (closing) {
                return;
            }
            closing = true;
            wasStarted = started;
        }
        closeQuietly(tcp);
        closeQuietly(unix);
        if (unix != null) {
            try {
                Files.deleteIfExists(settings.unixSocket());
            } catch (IOException e) {
                log.warn("Could not delete NBD socket {}: {}", settings.unixSocket(), e.toString());
            }
        }
        for (NbdConnection c : connections) {
            c.shutdownInput();
        }
        long deadline = System.nanoTime() + settings.shutdownGrace().toNanos();
        while (!connections.isEmpty() && System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        List<NbdConnection> left = new ArrayList<>(connections);
        if (!left.isEmpty()) {
            log.warn("NBD server closing {} connection(s) with requests still in flight", left.size());
        }
        for (NbdConnection c : left) {
            c.close();
        }
        if (wasStarted) {
            log.info("NBD server stopped");
        }
    }

    // --- package-private, for NbdConnection ----------------------------------------------------

    ExportLookup exports() {
        return exports;
    }

    NbdMetrics metrics() {
        return metrics;
    }

    BufferPool pool() {
        return pool;
    }

    void connectionClosed(NbdConnection c) {
        if (connections.remove(c)) {
            metrics.connectionsActive.decrementAndGet();
        }
    }

    // --- internals -----------------------------------------------------------------------------

    private void acceptLoop(ServerSocketChannel listener, boolean isTcp) {
        while (!closing) {
            SocketChannel ch;
            try {
                ch = listener.accept();
            } catch (ClosedChannelException e) {
                break;
            } catch (IOException e) {
                if (closing) {
                    break;
                }
                log.warn("NBD accept failed: {}", e.toString());
                try {
                    Thread.sleep(100); // e.g. out of file descriptors: do not spin
                } catch (InterruptedException ie) {
                    break;
                }
                continue;
            }
            String remote = describe(ch, isTcp);
            if (connections.size() >= settings.maxConnections()) {
                metrics.connectionsRejected.increment();
                log.warn("NBD connection from {} refused: {} connections already open", remote, connections.size());
                closeQuietly(ch);
                continue;
            }
            try {
                if (isTcp) {
                    // proto.md "Protocol phases": "both the client and server SHOULD disable Nagle's algorithm"
                    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
            } catch (IOException e) {
                log.debug("NBD connection {}: could not set socket options: {}", remote, e.toString());
            }
            NbdConnection c = new NbdConnection(this, ch, remote, isTcp && settings.tls() != null);
            connections.add(c);
            metrics.connectionsAccepted.increment();
            metrics.connectionsActive.incrementAndGet();
            if (closing) {
                c.close();
            }
            connectionThreads.newThread(c).start();
            CompletableFuture.delayedExecutor(settings.handshakeTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .execute(c::handshakeDeadline);
        }
    }

    private String describe(SocketChannel ch, boolean isTcp) {
        if (!isTcp) {
            return "unix:" + settings.unixSocket();
        }
        try {
            SocketAddress a = ch.getRemoteAddress();
            if (a instanceof InetSocketAddress ia) {
                return ia.getAddress().getHostAddress() + ":" + ia.getPort();
            }
            return String.valueOf(a);
        } catch (IOException e) {
            return "tcp:?";
        }
    }

    private static ServerSocketChannel bindUnix(Path path, GroupPrincipal group) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        PrivateFiles.createDirectories(parent, group);
        if (group != null && !PrivateFiles.traversableBy(parent, group)) {
            log.warn("group {} may not traverse {}, so it cannot reach the NBD socket {}: give the directory that "
                    + "group and mode 0750", group.getName(), parent, path);
        }
        if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
            int mode = (Integer) Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & 0170000) != 0140000) {
                throw new IOException(path + " exists and is not a socket; not replacing it");
            }
            boolean live;
            try (SocketChannel probe = SocketChannel.open(UnixDomainSocketAddress.of(path))) {
                live = true;
            } catch (IOException refused) {
                live = false; // nobody listening: a leftover of a previous run
            }
            if (live) {
                throw new IOException("another server is listening on " + path);
            }
            Files.delete(path);
            log.debug("Removed stale NBD socket {}", path);
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            bindPrivately(ch, path, group);
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        return ch;
    }

    /**
     * Binds {@code ch} in a new owner-only directory next to {@code path}, gives the socket its group
     * and mode 0660 there and then renames it to {@code path}: a socket is created with the umask's
     * mode, so bound in place it would be open to others until its mode is set. Where the staging
     * name would be too long for a socket address, binds in place and sets the mode at once.
     */
    private static void bindPrivately(ServerSocketChannel ch, Path path, GroupPrincipal group) throws IOException {
        Path parent = path.toAbsolutePath().getParent();
        if (!PrivateFiles.isPosix(parent)) {
            ch.bind(UnixDomainSocketAddress.of(path), BACKLOG);
            return;
        }
        Path staging = Files.createTempDirectory(parent, ".nbd");
        Path staged = staging.resolve("s");
        try {
            if (staged.toString().getBytes(StandardCharsets.UTF_8).length > MAX_SOCKET_PATH_BYTES) {
                log.debug("{}: no room for a staging name, binding in place", path);
                ch.bind(UnixDomainSocketAddress.of(path), BACKLOG);
                PrivateFiles.setGroupAndMode(path, group, SOCKET_MODE);
                return;
            }
            ch.bind(UnixDomainSocketAddress.of(staged), BACKLOG);
            PrivateFiles.setGroupAndMode(staged, group, SOCKET_MODE);
            Files.move(staged, path, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            try {
                Files.deleteIfExists(staged);
                Files.deleteIfExists(staging);
            } catch (IOException e) {
                log.warn("could not remove the NBD socket's staging directory {}: {}", staging, e.toString());
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
