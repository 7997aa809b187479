package io.bootswarm.agent.nbd;

import io.bootswarm.common.time.MonotonicClock;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadFactory;

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
 *       {@code NBD_INFO_BLOCK_SIZE} = 1 / preferred / 32 MiB, and {@code NBD_INFO_NAME} on request),
 *       {@code NBD_OPT_STRUCTURED_REPLY}, and after it {@code NBD_OPT_LIST_META_CONTEXT} /
 *       {@code NBD_OPT_SET_META_CONTEXT} for {@link MetaContext base:allocation and bootswarm:present};
 *       every other option, including extended headers, is answered {@code NBD_REP_ERR_UNSUP}. The
 *       empty export name means the only export when exactly one exists.</li>
 *   <li>TLS ("TLS support"): with {@link NbdServerSettings#tls()} TCP sessions are in FORCEDTLS mode
 *       ({@code NBD_OPT_STARTTLS}, X.509, optionally verifying client certificates; see
 *       {@link NbdTls}), Unix socket sessions in NOTLS mode ({@code NBD_REP_ERR_POLICY}); without
 *       it every session is NOTLS ({@code NBD_REP_ERR_UNSUP}). A TCP listener on an address other
 *       than loopback is refused unless TLS is set.</li>
 *   <li>Transmission: simple replies, or structured ones where negotiated (READ as OFFSET_DATA and
 *       OFFSET_HOLE chunks, errors as ERROR chunks); READ (with DF when structured), WRITE (with
 *       FUA), FLUSH, TRIM (passed to {@link BlockDevice#trim} as a hint), WRITE_ZEROES (with
 *       FAST_ZERO: a no-op where the range already reads as zeroes, else ENOTSUP), CACHE (passed to
 *       {@link BlockDevice#cache} as a hint, answered at once), DISC and BLOCK_STATUS (with REQ_ONE;
 *       {@link BlockDevice#extents}); flags {@code HAS_FLAGS|SEND_FLUSH|SEND_FUA|SEND_TRIM|
 *       SEND_WRITE_ZEROES|CAN_MULTI_CONN|SEND_CACHE|SEND_FAST_ZERO}, and {@code SEND_DF} with
 *       structured replies.
 *       Requests of one connection are served concurrently and answered as they complete.
 *       Errors: EINVAL for reads/trims/caches beyond the end, zero or over-32-MiB lengths, bad flags
 *       and unknown commands; ENOSPC for writes beyond the end; EIO when the device throws.</li>
 * </ul>
 *
 * <p>Exports are looked up through an {@link ExportLookup} at each negotiation, so they may be
 * added and removed while the server runs. Each connection reads its requests on a platform
 * thread of its own (a blocking receive wakes it directly, with no hop through the virtual-thread
 * poller: a request's round trip is what QEMU's one-extent block status and a guest's synchronous
 * reads pay for); requests that may wait run on virtual threads (see {@link NbdTransmission}).
 * Payloads use pooled direct buffers (a READ reply leaves in one write, header and data together);
 * the data path does not involve Spring. A device that also implements {@link FileRegions} has its local bytes sent with
 * {@code sendfile} instead.
 *
 * <p>Where things are: {@link NbdConnection} runs one client's session, {@link NbdHandshake} its
 * option haggling and {@link NbdTransmission} its requests ({@link NbdCommands} serves them on the
 * device, {@link ReplyWriter} sends the replies); {@link UnixSocketBinding} binds the socket file and
 * {@link HandshakeTimer} drops clients that never finish negotiating. The handshake timeout and the
 * shutdown grace are measured by an injected {@link InstantSource}. No thread runs and nothing is
 * bound before {@link #start()}.
 *
 * <p>Typical use: {@code try (var server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 10809),
 * registry, meterRegistry).start()) { ... }}.
 */
public final class NbdServer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(NbdServer.class);
    private static final long POOL_RETAINED_BYTES = 64L << 20;
    private static final int BACKLOG = 128;

    private final NbdServerSettings settings;
    private final ExportLookup exports;
    private final NbdMetrics metrics = new NbdMetrics();
    private final BufferPool pool;
    private final BufferBudget budget;
    private final Set<NbdConnection> connections = ConcurrentHashMap.newKeySet();
    /** Platform threads, at most {@code maxConnections} of them: see the class comment. */
    private final ThreadFactory connectionThreads = Thread.ofPlatform().daemon().name("nbd-conn-", 0).factory();
    private final InstantSource clock;
    private final HandshakeTimer handshakeTimer;
    /** Notified whenever a connection ends, for {@link #close()} waiting for them. */
    private final Object drained = new Object();

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
        this(settings, exports, meterRegistry, MonotonicClock.system());
    }

    /**
     * @param meterRegistry where to publish the {@code bootswarm.nbd.*} meters, or {@code null}
     * @param clock         what the handshake timeout and the shutdown grace are measured by
     */
    public NbdServer(NbdServerSettings settings, ExportLookup exports, MeterRegistry meterRegistry,
                     InstantSource clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.exports = Objects.requireNonNull(exports, "exports");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.handshakeTimer = new HandshakeTimer(connections, clock, settings.handshakeTimeout());
        this.budget = new BufferBudget(settings.maxBufferBytes());
        this.pool = new BufferPool(Math.min(POOL_RETAINED_BYTES, settings.maxBufferBytes()));
        if (meterRegistry != null) {
            bindMetrics(meterRegistry);
        }
    }

    /**
     * Publishes the {@code bootswarm.nbd.*} meters to {@code registry}: for a server started before
     * the registry existed (the agent's early start), once.
     */
    public void bindMetrics(MeterRegistry registry) {
        metrics.bindTo(registry);
        bindBufferGauges(registry);
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
                unix = UnixSocketBinding.bind(settings.unixSocket(), settings.unixSocketGroup(), BACKLOG);
            }
        } catch (IOException | RuntimeException e) {
            closeQuietly(tcp);
            closeQuietly(unix);
            throw e;
        }
        handshakeTimer.start();
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
        awaitDrained(clock.instant().plus(settings.shutdownGrace()));
        handshakeTimer.close();
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

    BufferBudget budget() {
        return budget;
    }

    /** Payload buffer memory requests hold now, at most {@link NbdServerSettings#maxBufferBytes()}. */
    public long bufferBytesInUse() {
        return budget.inUseBytes();
    }

    /**
     * {@code bootswarm.nbd.buffer.bytes{state=in-use|idle}} (held by requests, kept in the pool for
     * reuse) and {@code bootswarm.nbd.buffer.limit.bytes}.
     */
    private void bindBufferGauges(MeterRegistry registry) {
        Gauge.builder("bootswarm.nbd.buffer.bytes", budget, BufferBudget::inUseBytes).tag("state", "in-use")
                .description("NBD payload buffer memory held by requests being served").baseUnit("bytes")
                .register(registry);
        Gauge.builder("bootswarm.nbd.buffer.bytes", pool, BufferPool::retainedBytes).tag("state", "idle")
                .description("NBD payload buffers kept for reuse").baseUnit("bytes").register(registry);
        Gauge.builder("bootswarm.nbd.buffer.limit.bytes", budget, BufferBudget::limitBytes)
                .description("NBD payload buffer memory requests may hold at once").baseUnit("bytes")
                .register(registry);
    }

    void connectionClosed(NbdConnection c) {
        if (connections.remove(c)) {
            metrics.connectionsActive.decrementAndGet();
        }
        synchronized (drained) {
            drained.notifyAll();
        }
    }

    /** For tests: one look for connections past their handshake deadline, as the timer takes every tick. */
    int dropOverdueHandshakes() {
        return handshakeTimer.check();
    }

    // --- internals -----------------------------------------------------------------------------

    /**
     * Waits until every connection has ended or the clock reaches {@code deadline}. Looks at the clock
     * at least every 10 ms, so an injected clock moved by hand ends the wait too.
     */
    private void awaitDrained(Instant deadline) {
        synchronized (drained) {
            while (!connections.isEmpty() && clock.instant().isBefore(deadline)) {
                try {
                    drained.wait(10);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

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
            NbdConnection c = new NbdConnection(this, ch, remote, isTcp && settings.tls() != null, clock.instant());
            connections.add(c);
            metrics.connectionsAccepted.increment();
            metrics.connectionsActive.incrementAndGet();
            if (closing) {
                c.close();
            }
            connectionThreads.newThread(c).start();
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
