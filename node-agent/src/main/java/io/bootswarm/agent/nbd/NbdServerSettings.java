package io.bootswarm.agent.nbd;

import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link NbdServer} listens and what it lets one client hold.
 *
 * @param tcpHost             address to bind the TCP listener to ({@code "0.0.0.0"}, {@code "127.0.0.1"},
 *                            a host name), or {@code null} for no TCP listener
 * @param tcpPort             TCP port; 0 picks a free one (see {@link NbdServer#tcpPort()});
 *                            10809 is the IANA port for NBD
 * @param unixSocket          path of a Unix domain socket to listen on as well, or {@code null};
 *                            a stale socket file there is replaced, anything else there is an error.
 *                            The socket is mode {@code 0660} (set before it appears at its path), and
 *                            directories made for it are {@code 0700}
 * @param maxConnections      connections beyond this are closed at once
 * @param maxRequestsInFlight requests of one connection being served at once; the server stops
 *                            reading that connection's requests until one completes
 * @param maxBytesInFlight    READ/WRITE payload bytes of one connection held at once (same
 *                            back-pressure); at least the 32 MiB maximum payload
 * @param maxBufferBytes      payload buffer memory of all connections together (same back-pressure,
 *                            each request counted at the size of the pooled buffer it may take, see
 *                            {@link #bufferBytesFor}); at least one largest request. Without it the
 *                            limits above would allow {@code maxConnections * maxBytesInFlight}
 *                            (64 GiB with the defaults). The default is {@link #defaultMaxBufferBytes}
 * @param preferredBlockSize  preferred block size advertised in {@code NBD_INFO_BLOCK_SIZE}:
 *                            a power of two from 512 to 32 MiB
 * @param handshakeTimeout    a client that has not finished option haggling by then is dropped
 * @param shutdownGrace       on {@link NbdServer#close()}, how long in-flight requests get to finish
 * @param unixSocketGroup     the group of the Unix socket and of the directories made for it (then
 *                            {@code 0750}), so that its members (the hypervisor) can connect; or
 *                            {@code null} for the process's group
 * @param tls                 TLS for TCP sessions (then required on them), or {@code null} for none;
 *                            without it the TCP host must be a loopback address
 */
public record NbdServerSettings(
        String tcpHost,
        int tcpPort,
        Path unixSocket,
        int maxConnections,
        int maxRequestsInFlight,
        int maxBytesInFlight,
        long maxBufferBytes,
        int preferredBlockSize,
        Duration handshakeTimeout,
        Duration shutdownGrace,
        GroupPrincipal unixSocketGroup,
        NbdTls tls) {

    /** IANA-assigned NBD port. */
    public static final int DEFAULT_PORT = 10809;

    /** The smallest {@link #maxBufferBytes}: one request of the largest payload. */
    public static final long MIN_BUFFER_BYTES = bufferBytesFor(NbdProtocol.MAX_PAYLOAD);

    public NbdServerSettings {
        if (tcpHost == null && unixSocket == null) {
            throw new IllegalArgumentException("no listener: set a TCP host or a Unix socket path");
        }
        if (tcpPort < 0 || tcpPort > 65535) {
            throw new IllegalArgumentException("tcpPort out of range: " + tcpPort);
        }
        if (maxConnections < 1) {
            throw new IllegalArgumentException("maxConnections must be >= 1");
        }
        if (maxRequestsInFlight < 1) {
            throw new IllegalArgumentException("maxRequestsInFlight must be >= 1");
        }
        if (maxBytesInFlight < NbdProtocol.MAX_PAYLOAD) {
            throw new IllegalArgumentException("maxBytesInFlight must be >= " + NbdProtocol.MAX_PAYLOAD);
        }
        if (maxBufferBytes < MIN_BUFFER_BYTES) {
            throw new IllegalArgumentException("maxBufferBytes must be >= " + MIN_BUFFER_BYTES
                    + " (one request of the largest payload, 32 MiB, in its buffer), not " + maxBufferBytes);
        }
        if (preferredBlockSize < 512 || preferredBlockSize > NbdProtocol.MAX_PAYLOAD
                || Integer.bitCount(preferredBlockSize) != 1) {
            throw new IllegalArgumentException("preferredBlockSize must be a power of two in [512, 32 MiB]");
        }
        Objects.requireNonNull(handshakeTimeout, "handshakeTimeout");
        Objects.requireNonNull(shutdownGrace, "shutdownGrace");
        if (handshakeTimeout.isNegative() || handshakeTimeout.isZero()) {
            throw new IllegalArgumentException("handshakeTimeout must be positive");
        }
        if (shutdownGrace.isNegative()) {
            throw new IllegalArgumentException("shutdownGrace must not be negative");
        }
    }

    /**
     * TCP on {@code host:port}, no Unix socket, and defaults: 1024 connections, 128 requests and
     * 64 MiB in flight per connection, {@link #defaultMaxBufferBytes} of buffers in all, preferred
     * block 4096, 30 s handshake timeout, 10 s grace.
     */
    public static NbdServerSettings tcp(String host, int port) {
        return new NbdServerSettings(Objects.requireNonNull(host, "host"), port, null,
                1024, 128, 64 << 20, defaultMaxBufferBytes(DirectMemory.limit()), 4096, Duration.ofSeconds(30), Duration.ofSeconds(10), null, null);
    }

    /** Only a Unix domain socket, with the defaults of {@link #tcp}. */
    public static NbdServerSettings unix(Path socket) {
        return new NbdServerSettings(null, 0, Objects.requireNonNull(socket, "socket"),
                1024, 128, 64 << 20, defaultMaxBufferBytes(DirectMemory.limit()), 4096, Duration.ofSeconds(30), Duration.ofSeconds(10), null, null);
    }

    /** Also (or instead, with {@code null}) listen on this Unix domain socket. */
    public NbdServerSettings withUnixSocket(Path socket) {
        return new NbdServerSettings(tcpHost, tcpPort, socket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup, tls);
    }

    /** Also (or instead, with {@code null}) listen on this Unix domain socket, of group {@code group}. */
    public NbdServerSettings withUnixSocket(Path socket, GroupPrincipal group) {
        return new NbdServerSettings(tcpHost, tcpPort, socket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, group, tls);
    }

    /** Listen on TCP {@code host:port} as well, or not at all with a {@code null} host. */
    public NbdServerSettings withTcp(String host, int port) {
        return new NbdServerSettings(host, port, unixSocket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup, tls);
    }

    public NbdServerSettings withLimits(int maxConnections, int maxRequestsInFlight, int maxBytesInFlight) {
        return new NbdServerSettings(tcpHost, tcpPort, unixSocket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup, tls);
    }

    /** At most {@code maxBufferBytes} of payload buffers for all connections together. */
    public NbdServerSettings withMaxBufferBytes(long maxBufferBytes) {
        return new NbdServerSettings(tcpHost, tcpPort, unixSocket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup,
                tls);
    }

    /**
     * A quarter of the direct memory the JVM may reserve ({@code -XX:MaxDirectMemorySize}, by default
     * the maximum heap), and at least {@link #MIN_BUFFER_BYTES}.
     */
    public static long defaultMaxBufferBytes(long directMemoryLimit) {
        return Math.max(MIN_BUFFER_BYTES, directMemoryLimit / 4);
    }

    /**
     * Checks the settings against what this JVM can give: buffers beyond its direct memory limit
     * would fail requests with {@code OutOfMemoryError} instead of holding them back.
     *
     * @throws IllegalStateException naming the limits, if {@link #maxBufferBytes} exceeds {@code directMemoryLimit}
     */
    public NbdServerSettings checkAgainst(long directMemoryLimit) {
        if (maxBufferBytes > directMemoryLimit) {
            throw new IllegalStateException("NBD buffers may take up to " + maxBufferBytes + " bytes, more than the "
                    + directMemoryLimit + " bytes of direct memory this JVM may reserve (-XX:MaxDirectMemorySize, "
                    + "by default -Xmx): lower bootswarm.agent.nbd.limits.max-buffer-memory or raise the JVM's limit");
        }
        return this;
    }

    /** What a request with {@code payloadLength} bytes counts against {@link #maxBufferBytes}: its pooled buffer. */
    public static long bufferBytesFor(int payloadLength) {
        return payloadLength == 0 ? 0 : BufferPool.capacityFor(payloadLength);
    }

    public NbdServerSettings withPreferredBlockSize(int preferredBlockSize) {
        return new NbdServerSettings(tcpHost, tcpPort, unixSocket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup, tls);
    }

    /** Requires TLS on TCP sessions, or, with {@code null}, offers none. */
    public NbdServerSettings withTls(NbdTls tls) {
        return new NbdServerSettings(tcpHost, tcpPort, unixSocket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup, tls);
    }

    public NbdServerSettings withTimeouts(Duration handshakeTimeout, Duration shutdownGrace) {
        return new NbdServerSettings(tcpHost, tcpPort, unixSocket, maxConnections, maxRequestsInFlight,
                maxBytesInFlight, maxBufferBytes, preferredBlockSize, handshakeTimeout, shutdownGrace, unixSocketGroup, tls);
    }
}
