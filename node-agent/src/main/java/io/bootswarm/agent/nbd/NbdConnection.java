package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.*;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import javax.net.ssl.SSLSocket;

/**
 * One client connection: the fixed newstyle handshake, then the transmission phase.
 *
 * <p>With {@link NbdServerSettings#tls()} set the session follows "FORCEDTLS mode" of "TLS support":
 * before {@code NBD_OPT_STARTTLS} every other option but {@code NBD_OPT_ABORT} gets
 * {@code NBD_REP_ERR_TLS_REQD} and {@code NBD_OPT_EXPORT_NAME} ends the session; after the
 * {@code NBD_REP_ACK} the TLS handshake runs over the same socket and everything else (the rest of
 * option haggling, then transmission) goes through it. A session upgraded to TLS reads without
 * {@code sendfile}, since the bytes must be encrypted in user space.
 *
 * <p>Threads: the connection's own (virtual) thread reads everything the client sends, in order:
 * option requests, request headers and WRITE payloads. Each transmission request is then served
 * on a virtual thread of its own, so a READ waiting for a missing piece does not hold up the
 * requests behind it; replies go out in completion order, each one written whole (header and
 * data in one buffer) under {@link #writeLock}. A request's thread is never interrupted (an
 * interrupt would close a device's {@code FileChannel} for everyone).
 *
 * <p>Back-pressure: at most {@code maxRequestsInFlight} requests and {@code maxBytesInFlight}
 * payload bytes per connection are being served at once; beyond that the reader stops reading
 * and TCP flow control pushes back on the client.
 */
final class NbdConnection implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(NbdConnection.class);
    private static final ThreadFactory REQUEST_THREADS = Thread.ofVirtual().name("nbd-request").factory();

    /** Transmission flags of every export ("Transmission flags"). */
    static final int TRANSMISSION_FLAGS = FLAG_HAS_FLAGS | FLAG_SEND_FLUSH | FLAG_SEND_FUA
            | FLAG_SEND_TRIM | FLAG_SEND_WRITE_ZEROES | FLAG_CAN_MULTI_CONN;
    /** Option data we read into memory to parse (NBD_OPT_GO: 4 + name of at most 4096 + 2 + 2n). */
    static final int MAX_OPTION_DATA = 64 * 1024;
    /** Larger option data than {@link #MAX_OPTION_DATA} is skipped and refused up to this; beyond, we hang up. */
    static final long MAX_OPTION_DISCARD = 16L << 20;
    private static final int INPUT_BUFFER_SIZE = 64 * 1024;
    private static final int HANDSHAKE_OUTPUT_SIZE = 16 * 1024;
    private static final int LOGGED_IO_ERRORS = 10;
    /**
     * When sendfile finds the socket full, this much goes through a buffer with an ordinary write,
     * which parks until the socket has room; then sendfile resumes. Small, because its only job
     * is the wait (measured: 4 KiB beats 128 KiB by ~2x, and spinning on sendfile burns a core).
     */
    private static final int TRANSFER_FALLBACK_CHUNK = 4096;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();

    private enum Next { CONTINUE, TRANSMISSION, CLOSE }

    private record Export(String name, BlockDevice device, long size) {
    }

    /** A failed TLS handshake after NBD_OPT_STARTTLS: logged at WARN, the connection is dropped. */
    static final class TlsHandshakeFailure extends IOException {
        TlsHandshakeFailure(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** A protocol violation by the client: logged at WARN, the connection is dropped. */
    static final class ProtocolViolation extends IOException {
        ProtocolViolation(String message) {
            super(message);
        }
    }

    private final NbdServer server;
    private final SocketChannel channel;
    private final String remote;
    private final boolean forcedTls;
    private final NbdMetrics metrics;
    private final BufferPool pool;
    private ChannelInput in;
    private WritableByteChannel out;
    /** The session after a successful STARTTLS, else null. */
    private TlsChannel tls;
    /** The first option refused with NBD_REP_ERR_TLS_REQD, logged once when the session ends without TLS. */
    private String refusedBeforeTls;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final int maxRequests;
    private final Semaphore requestPermits;
    private final Semaphore bytePermits;
    private final AtomicInteger ioErrorsLogged = new AtomicInteger();

    private volatile boolean negotiated;
    private volatile boolean closed;
    private volatile String exportName;
    private ByteBuffer handshakeOut;
    private BlockDevice device;
    private long exportSize;

    /**
     * @param forcedTls whether this session is in FORCEDTLS mode (TCP with TLS configured), else NOTLS
     */
    NbdConnection(NbdServer server, SocketChannel channel, String remote, boolean forcedTls) {
        this.server = server;
        this.channel = channel;
        this.remote = remote;
        this.forcedTls = forcedTls;
        this.metrics = server.metrics();
        this.pool = server.pool();
        this.in = new ChannelInput(channel, INPUT_BUFFER_SIZE);
        this.out = channel;
        NbdServerSettings s = server.settings();
        this.maxRequests = s.maxRequestsInFlight();
        this.requestPermits = new Semaphore(maxRequests);
        this.bytePermits = new Semaphore(s.maxBytesInFlight());
    }

    String exportName() {
        return exportName;
    }

    String remote() {
        return remote;
    }

    boolean negotiated() {
        return negotiated;
    }

    @Override
    public void run() {
        log.debug("NBD connection from {}", remote);
        try {
            if (handshake()) {
                transmission();
                closeTls();
            }
        } catch (TlsHandshakeFailure e) {
            if (!closed) {
                log.warn("NBD TLS handshake with {} failed: {}; closing the connection", remote, e.getMessage());
            }
        } catch (ProtocolViolation e) {
            metrics.protocolViolations.increment();
            log.warn("NBD protocol violation by {}{}: {}; closing the connection", remote, onExport(), e.getMessage());
        } catch (EOFException e) {
            log.debug("NBD client {}{} went away: {}", remote, onExport(), e.getMessage());
        } catch (ClosedChannelException e) {
            log.debug("NBD connection {}{} closed by the server", remote, onExport());
        } catch (IOException e) {
            log.debug("NBD connection {}{} failed: {}", remote, onExport(), e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.warn("NBD connection {}{} failed", remote, onExport(), e);
        } finally {
            if (refusedBeforeTls != null && tls == null) {
                log.info("NBD client {} refused: TLS is required and it sent {} without NBD_OPT_STARTTLS",
                        remote, refusedBeforeTls);
            }
            close();
            server.connectionClosed(this);
            log.debug("NBD connection {}{} closed", remote, onExport());
        }
    }

    /** Hard disconnect; idempotent. */
    void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do with it
        }
    }

    /**
     * Soft end from the server's side: stop reading requests (the reader sees end of stream),
     * let those in flight finish, then close.
     */
    void shutdownInput() {
        try {
            channel.shutdownInput();
        } catch (IOException e) {
            close();
        }
    }

    /** Called once the handshake timeout has passed. */
    void handshakeDeadline() {
        if (!negotiated && !closed) {
            metrics.protocolViolations.increment();
            log.warn("NBD client {} did not finish negotiation within {}; closing the connection",
                    remote, server.settings().handshakeTimeout());
            close();
        }
    }

    private String onExport() {
        String name = exportName;
        return name == null ? "" : " (export '" + name + "')";
    }

    // ------------------------------------------------------------------------------------------
    // Handshake ("Fixed newstyle negotiation", "Option types", "Option reply types")
    // ------------------------------------------------------------------------------------------

    /** @return true to enter transmission, false to close */
    private boolean handshake() throws IOException {
        handshakeOut = ByteBuffer.allocateDirect(HANDSHAKE_OUTPUT_SIZE);
        handshakeOut.putLong(NBDMAGIC).putLong(IHAVEOPT).putShort((short) (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES));
        flushHandshake();

        int clientFlags = in.readInt();
        if ((clientFlags & ~(FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES)) != 0) {
            throw new ProtocolViolation(String.format("unknown client flags 0x%08x", clientFlags));
        }
        boolean noZeroes = (clientFlags & FLAG_C_NO_ZEROES) != 0;

        while (true) {
            long magic = in.readLong();
            if (magic != IHAVEOPT) {
                throw new ProtocolViolation(String.format("bad option magic 0x%016x", magic));
            }
            int option = in.readInt();
            long length = Integer.toUnsignedLong(in.readInt());
            Next next = option(option, length, noZeroes);
            flushHandshake();
            if (next == Next.TRANSMISSION) {
                handshakeOut = null;
                return true;
            }
            if (next == Next.CLOSE) {
                return false;
            }
        }
    }

    private Next option(int option, long length, boolean noZeroes) throws IOException {
        if (forcedTls && tls == null && option != OPT_STARTTLS && option != OPT_ABORT) {
            return beforeTls(option, length);
        }
        if (option == OPT_EXPORT_NAME) {
            return exportNameOption(length, noZeroes);
        }
        if (length > MAX_OPTION_DATA) {
            if (length > MAX_OPTION_DISCARD) {
                throw new ProtocolViolation("option " + option + " with " + length + " bytes of data");
            }
            in.skip(length);
            optionError(option, REP_ERR_TOO_BIG, "option data of " + length + " bytes is too large");
            return Next.CONTINUE;
        }
        switch (option) {
            case OPT_ABORT -> {
                // "a server SHOULD ignore any data sent by the client" with NBD_OPT_ABORT
                in.skip(length);
                optionReply(option, REP_ACK, null, 0);
                log.debug("NBD client {} aborted the negotiation", remote);
                return Next.CLOSE;
            }
            case OPT_LIST -> {
                if (length != 0) {
                    in.skip(length);
                    optionError(option, REP_ERR_INVALID, "NBD_OPT_LIST takes no data");
                    return Next.CONTINUE;
                }
                listExports();
                return Next.CONTINUE;
            }
            case OPT_INFO, OPT_GO -> {
                return infoOrGo(option, (int) length);
            }
            case OPT_STARTTLS -> {
                if (!forcedTls) {
                    // "NOTLS mode": NBD_REP_ERR_POLICY where TLS is configured but not for this session
                    // (the Unix socket), NBD_REP_ERR_UNSUP "if it does not support the option at all"
                    in.skip(length);
                    boolean configured = server.settings().tls() != null;
                    optionError(option, configured ? REP_ERR_POLICY : REP_ERR_UNSUP,
                            configured ? "TLS is offered on TCP only" : null);
                    return Next.CONTINUE;
                }
                return startTls(length);
            }
            default -> {
                // STRUCTURED_REPLY, LIST/SET_META_CONTEXT,
                // EXTENDED_HEADERS and anything unknown: "Servers that receive messages which they do not
                // implement MUST reply to them with NBD_REP_ERR_UNSUP" ("Baseline").
                in.skip(length);
                optionError(option, REP_ERR_UNSUP, null);
                return Next.CONTINUE;
            }
        }
    }

    /** "FORCEDTLS mode": any option but STARTTLS and ABORT before TLS has been initiated. */
    private Next beforeTls(int option, long length) throws IOException {
        if (refusedBeforeTls == null) {
            refusedBeforeTls = optionName(option);
        }
        if (option == OPT_EXPORT_NAME) {
            // "as this request cannot error, it MUST terminate the session"
            return Next.CLOSE;
        }
        if (length > MAX_OPTION_DISCARD) {
            throw new ProtocolViolation("option " + option + " with " + length + " bytes of data");
        }
        in.skip(length);
        optionError(option, REP_ERR_TLS_REQD, "TLS is required: send NBD_OPT_STARTTLS first");
        return Next.CONTINUE;
    }

    /**
     * "FORCEDTLS mode": STARTTLS before TLS is acknowledged and the TLS handshake follows at once;
     * STARTTLS again is NBD_REP_ERR_INVALID ("NBD_OPT_STARTTLS": its data length MUST be zero).
     */
    private Next startTls(long length) throws IOException {
        if (tls != null) {
            in.skip(length);
            optionError(OPT_STARTTLS, REP_ERR_INVALID, "TLS has already been negotiated");
            return Next.CONTINUE;
        }
        if (length != 0) {
            in.skip(length);
            optionError(OPT_STARTTLS, REP_ERR_INVALID, "NBD_OPT_STARTTLS takes no data");
            return Next.CONTINUE;
        }
        if (in.buffered() > 0) {
            // bytes sent before our ACK cannot belong to the TLS handshake: plaintext injected ahead of TLS
            throw new ProtocolViolation(in.buffered() + " bytes sent after NBD_OPT_STARTTLS before its reply");
        }
        optionReply(OPT_STARTTLS, REP_ACK, null, 0);
        flushHandshake();
        SSLSocket socket = server.settings().tls().layer(channel, remote);
        try {
            socket.startHandshake();
        } catch (IOException e) {
            metrics.tlsHandshakesFailed.increment();
            throw new TlsHandshakeFailure(e);
        }
        metrics.tlsHandshakes.increment();
        tls = new TlsChannel(socket);
        in = new ChannelInput(tls, INPUT_BUFFER_SIZE);
        out = tls;
        log.debug("NBD client {} upgraded to {}", remote, tls.describe());
        return Next.CONTINUE;
    }

    /** After a clean end of a TLS session: close_notify (the socket is closed next). */
    private void closeTls() {
        if (tls != null && !closed) {
            writeLock.lock();
            try {
                tls.shutdownOutput();
            } catch (IOException e) {
                log.debug("NBD TLS close with {} failed: {}", remote, e.toString());
            } finally {
                writeLock.unlock();
            }
        }
    }

    private Next exportNameOption(long length, boolean noZeroes) throws IOException {
        if (length > MAX_STRING_LENGTH) {
            throw new ProtocolViolation("NBD_OPT_EXPORT_NAME with a name of " + length + " bytes");
        }
        String name = new String(in.readBytes((int) length), StandardCharsets.UTF_8);
        Export export = resolve(name);
        if (export == null) {
            // "If the chosen export does not exist ... the server MUST terminate the session."
            log.debug("NBD client {} asked for unknown export '{}' with NBD_OPT_EXPORT_NAME; closing", remote, name);
            return Next.CLOSE;
        }
        handshakeOut.putLong(export.size()).putShort((short) TRANSMISSION_FLAGS);
        if (!noZeroes) {
            handshakeOut.put(new byte[124]);
        }
        enter(export);
        return Next.TRANSMISSION;
    }

    private void listExports() throws IOException {
        Collection<String> names;
        try {
            names = server.exports().names();
        } catch (RuntimeException e) {
            log.warn("NBD export lookup failed listing exports for {}", remote, e);
            optionError(OPT_LIST, REP_ERR_SHUTDOWN, "export list unavailable");
            return;
        }
        for (String name : names) {
            byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
            if (bytes.length == 0 || bytes.length > MAX_STRING_LENGTH) {
                continue;
            }
            ByteBuffer data = ByteBuffer.allocate(4 + bytes.length).putInt(bytes.length).put(bytes);
            optionReply(OPT_LIST, REP_SERVER, data.array(), data.capacity());
        }
        optionReply(OPT_LIST, REP_ACK, null, 0);
    }

    private Next infoOrGo(int option, int length) throws IOException {
        String what = option == OPT_GO ? "NBD_OPT_GO" : "NBD_OPT_INFO";
        if (length < 6) {
            in.skip(length);
            optionError(option, REP_ERR_INVALID, what + " data too short");
            return Next.CONTINUE;
        }
        ByteBuffer data = ByteBuffer.wrap(in.readBytes(length));
        long nameLength = Integer.toUnsignedLong(data.getInt());
        if (nameLength > length - 6) {
            optionError(option, REP_ERR_INVALID, "export name length exceeds the option data");
            return Next.CONTINUE;
        }
        if (nameLength > MAX_STRING_LENGTH) {
            optionError(option, REP_ERR_INVALID, "export name longer than " + MAX_STRING_LENGTH + " bytes");
            return Next.CONTINUE;
        }
        byte[] nameBytes = new byte[(int) nameLength];
        data.get(nameBytes);
        int requests = Short.toUnsignedInt(data.getShort());
        if (data.remaining() != 2 * requests) {
            optionError(option, REP_ERR_INVALID, "information request count does not match the option length");
            return Next.CONTINUE;
        }
        boolean wantName = false;
        for (int i = 0; i < requests; i++) {
            if (Short.toUnsignedInt(data.getShort()) == INFO_NAME) {
                wantName = true;
            }
        }
        String name = new String(nameBytes, StandardCharsets.UTF_8);
        Export export = resolve(name);
        if (export == null) {
            log.debug("NBD client {} asked for unknown export '{}' with {}", remote, name, what);
            optionError(option, REP_ERR_UNKNOWN,
                    name.isEmpty() ? "no default export" : "unknown export: " + name);
            return Next.CONTINUE;
        }
        // NBD_INFO_EXPORT: mandatory before a successful ACK.
        ByteBuffer info = ByteBuffer.allocate(12).putShort((short) INFO_EXPORT).putLong(export.size())
                .putShort((short) TRANSMISSION_FLAGS);
        optionReply(option, REP_INFO, info.array(), 12);
        // NBD_INFO_BLOCK_SIZE: sent whether asked or not (allowed: "The server MAY send information
        // requests back which are not explicitly requested"); our constraints are the defaults.
        info = ByteBuffer.allocate(14).putShort((short) INFO_BLOCK_SIZE).putInt(MIN_BLOCK_SIZE)
                .putInt(server.settings().preferredBlockSize()).putInt(MAX_PAYLOAD);
        optionReply(option, REP_INFO, info.array(), 14);
        if (wantName) {
            byte[] canonical = export.name().getBytes(StandardCharsets.UTF_8);
            info = ByteBuffer.allocate(2 + canonical.length).putShort((short) INFO_NAME).put(canonical);
            optionReply(option, REP_INFO, info.array(), info.capacity());
        }
        optionReply(option, REP_ACK, null, 0);
        if (option == OPT_GO) {
            enter(export);
            return Next.TRANSMISSION;
        }
        return Next.CONTINUE;
    }

    /** The empty name is the default export: the only one, if exactly one exists. */
    private Export resolve(String name) {
        try {
            String canonical = name;
            if (name.isEmpty()) {
                Collection<String> names = server.exports().names();
                if (names.size() != 1) {
                    return null;
                }
                canonical = names.iterator().next();
            }
            Optional<BlockDevice> found = server.exports().find(canonical);
            if (found.isEmpty()) {
                return null;
            }
            long size = found.get().size();
            if (size < 0) {
                log.warn("NBD export '{}' reports a negative size {}", canonical, size);
                return null;
            }
            return new Export(canonical, found.get(), size);
        } catch (RuntimeException e) {
            log.warn("NBD export lookup for '{}' failed", name, e);
            return null;
        }
    }

    private void enter(Export export) {
        this.device = export.device();
        this.exportSize = export.size();
        this.exportName = export.name();
        log.debug("NBD client {} entering transmission on export '{}' ({} bytes)", remote, export.name(), export.size());
    }

    private void optionError(int option, int type, String message) throws IOException {
        byte[] text = null;
        int length = 0;
        if (message != null) {
            text = message.getBytes(StandardCharsets.UTF_8);
            length = Math.min(text.length, MAX_STRING_LENGTH);
        }
        optionReply(option, type, text, length);
    }

    private void optionReply(int option, int type, byte[] data, int length) throws IOException {
        if (handshakeOut.remaining() < 20 + length) {
            flushHandshake();
        }
        handshakeOut.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt(length);
        if (length > 0) {
            handshakeOut.put(data, 0, length);
        }
    }

    private void flushHandshake() throws IOException {
        handshakeOut.flip();
        while (handshakeOut.hasRemaining()) {
            out.write(handshakeOut);
        }
        handshakeOut.clear();
    }

    // ------------------------------------------------------------------------------------------
    // Transmission ("Transmission", "Request types", "Error values")
    // ------------------------------------------------------------------------------------------

    private void transmission() throws IOException, InterruptedException {
        negotiated = true;
        ByteBuffer b = in.buffer();
        while (in.require(REQUEST_HEADER_SIZE, true)) {
            int magic = b.getInt();
            if (magic != REQUEST_MAGIC) {
                throw new ProtocolViolation(String.format("bad request magic 0x%08x", magic));
            }
            int flags = Short.toUnsignedInt(b.getShort());
            int type = Short.toUnsignedInt(b.getShort());
            long cookie = b.getLong();
            long offset = b.getLong();
            long length = Integer.toUnsignedLong(b.getInt());
            metrics.countRequest(type);
            if (type == CMD_DISC) {
                // "The server MUST handle all outstanding requests ... and close the TCP session."
                log.debug("NBD client {} on export '{}' disconnects", remote, exportName);
                break;
            }
            request(flags, type, cookie, offset, length);
        }
        awaitInFlight();
    }

    private void request(int flags, int type, long cookie, long offset, long length)
            throws IOException, InterruptedException {
        int error = validate(flags, type, offset, length);
        if (type == CMD_WRITE) {
            if (error != 0) {
                in.skip(length); // the payload follows whatever we think of the request
                replyErrorLater(cookie, error);
                return;
            }
            int len = (int) length;
            acquire(len);
            ByteBuffer buf = null;
            try {
                buf = pool.acquire(len);
                buf.position(BufferPool.HEADROOM);
                in.readFully(buf);
            } catch (IOException | RuntimeException e) {
                if (buf != null) {
                    pool.release(buf);
                }
                release(len);
                throw e;
            }
            ByteBuffer payload = buf;
            start(() -> write(cookie, flags, offset, payload, len));
            return;
        }
        if (error != 0) {
            replyErrorLater(cookie, error);
            return;
        }
        switch (type) {
            case CMD_READ -> {
                int len = (int) length;
                acquire(len);
                start(() -> read(cookie, offset, len));
            }
            case CMD_FLUSH, CMD_TRIM, CMD_WRITE_ZEROES -> {
                acquire(0);
                start(() -> payloadless(cookie, flags, type, offset, length));
            }
            default -> throw new IllegalStateException("validated unknown type " + type);
        }
    }

    /** @return 0 or the error the request gets without reaching the device */
    int validate(int flags, int type, long offset, long length) {
        // FUA "is valid for all commands, provided NBD_FLAG_SEND_FUA has been negotiated";
        // other flags only where documented ("Command flags"), else EINVAL ("Error values").
        return switch (type) {
            case CMD_READ -> (flags & ~CMD_FLAG_FUA) != 0 || length == 0 || length > MAX_PAYLOAD
                    || !inRange(offset, length) ? EINVAL : 0;
            case CMD_WRITE -> {
                if ((flags & ~CMD_FLAG_FUA) != 0 || length == 0 || length > MAX_PAYLOAD) {
                    yield EINVAL;
                }
                // "The server SHOULD return NBD_ENOSPC if it receives a write request including one
                // or more sectors beyond the size of the device."
                yield inRange(offset, length) ? 0 : ENOSPC;
            }
            // "For a flush request, length and offset are reserved, and MUST be set to all-zero."
            case CMD_FLUSH -> (flags & ~CMD_FLAG_FUA) != 0 || offset != 0 || length != 0 ? EINVAL : 0;
            case CMD_TRIM -> (flags & ~CMD_FLAG_FUA) != 0 || length == 0 || !inRange(offset, length) ? EINVAL : 0;
            case CMD_WRITE_ZEROES -> {
                // NBD_CMD_FLAG_FAST_ZERO is not advertised: "SHOULD fail with NBD_EINVAL" if set.
                if ((flags & ~(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE)) != 0 || length == 0) {
                    yield EINVAL;
                }
                yield inRange(offset, length) ? 0 : ENOSPC;
            }
            // NBD_CMD_CACHE, NBD_CMD_BLOCK_STATUS (never negotiated) and unknown commands.
            default -> EINVAL;
        };
    }

    /** {@code offset} is an unsigned 64-bit value: above 2^63 it is negative here and out of range. */
    private boolean inRange(long offset, long length) {
        return offset >= 0 && offset <= exportSize && length <= exportSize - offset;
    }

    private void acquire(int bytes) throws InterruptedException {
        requestPermits.acquire();
        if (bytes > 0) {
            try {
                bytePermits.acquire(bytes);
            } catch (InterruptedException e) {
                requestPermits.release();
                throw e;
            }
        }
    }

    private void release(int bytes) {
        if (bytes > 0) {
            bytePermits.release(bytes);
        }
        requestPermits.release();
    }

    /** Waits until no request of this connection is in flight, or the connection was closed. */
    private void awaitInFlight() throws InterruptedException {
        while (!requestPermits.tryAcquire(maxRequests, 100, TimeUnit.MILLISECONDS)) {
            if (closed) {
                return;
            }
        }
        requestPermits.release(maxRequests);
    }

    private static void start(Runnable task) {
        REQUEST_THREADS.newThread(task).start();
    }

    private void replyErrorLater(long cookie, int error) throws InterruptedException {
        acquire(0);
        start(() -> {
            ByteBuffer buf = pool.acquire(0);
            try {
                reply(buf, cookie, error);
            } finally {
                pool.release(buf);
                release(0);
            }
        });
    }

    private void read(long cookie, long offset, int length) {
        if (tls == null && device instanceof FileRegions files && readZeroCopy(files, cookie, offset, length)) {
            return;
        }
        ByteBuffer buf = null;
        try {
            buf = pool.acquire(length);
            int error = 0;
            try {
                ByteBuffer dst = buf.slice(BufferPool.HEADROOM, length);
                device.read(offset, dst);
                if (dst.hasRemaining()) {
                    throw new IOException("device left " + dst.remaining() + " of " + length + " bytes unread");
                }
            } catch (Exception e) {
                error = deviceError(e, "read", offset, length);
            }
            if (error == 0) {
                metrics.bytesRead.add(length);
            } else {
                buf.limit(BufferPool.HEADROOM); // "it MUST NOT send any payload for this request"
            }
            reply(buf, cookie, error);
        } catch (Throwable t) {
            fatal(t);
        } finally {
            if (buf != null) {
                pool.release(buf);
            }
            release(length);
        }
    }

    /**
     * Answers a READ from file regions with {@code sendfile}, if the device has them for this range.
     *
     * @return false if the request is still to be answered (no regions: use {@link BlockDevice#read})
     */
    private boolean readZeroCopy(FileRegions files, long cookie, long offset, int length) {
        List<FileRegions.Region> regions;
        try {
            regions = files.regions(offset, length).orElse(null);
            if (regions == null) {
                return false;
            }
            long total = 0;
            for (FileRegions.Region r : regions) {
                total += r.length();
            }
            if (total != length) {
                throw new IOException("file regions cover " + total + " bytes, not " + length);
            }
        } catch (Exception e) {
            int error = deviceError(e, "read", offset, length);
            ByteBuffer buf = pool.acquire(0);
            try {
                reply(buf, cookie, error);
            } finally {
                pool.release(buf);
                release(length);
            }
            return true;
        } catch (Throwable t) {
            release(length);
            fatal(t);
            return true;
        }
        ByteBuffer header = pool.acquire(0);
        header.putInt(0, SIMPLE_REPLY_MAGIC).putInt(4, 0).putLong(8, cookie).position(0);
        boolean headerSent = false;
        writeLock.lock();
        try {
            if (closed) {
                return true;
            }
            writeFully(header);
            headerSent = true;
            for (FileRegions.Region r : regions) {
                if (r.file() == null) {
                    writeZeroes(r.length());
                } else {
                    transferFully(r.file(), r.position(), r.length());
                }
            }
            metrics.bytesRead.add(length);
            metrics.zeroCopyReads.increment();
        } catch (RegionReadFailure e) {
            // "If an error occurs while reading after the server has already sent out the reply header
            // with an error field set to zero ... the server MUST immediately initiate a hard disconnect"
            metrics.ioErrors.increment();
            log.warn("NBD read of {} bytes at offset {} on export '{}' for {} failed after its reply header; "
                    + "closing the connection: {}", length, offset, exportName, remote, e.getCause().toString());
            close();
        } catch (IOException e) {
            if (!closed) {
                log.debug("NBD reply to {} failed{}: {}", remote, headerSent ? " part way" : "", e.toString());
                close();
            }
        } catch (Throwable t) {
            fatal(t);
        } finally {
            writeLock.unlock();
            pool.release(header);
            release(length);
        }
        return true;
    }

    /** An I/O error on the file side of a zero-copy reply (as opposed to the socket side). */
    private static final class RegionReadFailure extends IOException {
        RegionReadFailure(IOException cause) {
            super(cause);
        }
    }

    /**
     * Sends {@code length} bytes of {@code file} from {@code position}. {@link FileChannel#transferTo}
     * does not wait for room in the socket (on a virtual thread the socket is non-blocking underneath,
     * and JDK 25's sendfile path returns 0 on EAGAIN instead of parking); then one small chunk goes
     * the ordinary way, which does wait, and sendfile resumes.
     */
    private void transferFully(FileChannel file, long position, long length) throws IOException {
        while (length > 0) {
            long n;
            try {
                n = file.transferTo(position, length, channel);
            } catch (IOException e) {
                if (!channel.isOpen()) {
                    throw e;
                }
                n = 0; // let the ordinary path tell a file error from a socket error
            }
            if (n <= 0) {
                metrics.transferFallbacks.increment();
                n = copyChunk(file, position, (int) Math.min(length, TRANSFER_FALLBACK_CHUNK));
            }
            position += n;
            length -= n;
        }
    }

    private int copyChunk(FileChannel file, long position, int length) throws IOException {
        ByteBuffer buf = pool.acquire(length);
        try {
            ByteBuffer chunk = buf.slice(BufferPool.HEADROOM, length);
            try {
                while (chunk.hasRemaining()) {
                    if (file.read(chunk, position + chunk.position()) < 0) {
                        throw new EOFException("file region ends at " + (position + chunk.position()));
                    }
                }
            } catch (IOException e) {
                throw new RegionReadFailure(e);
            }
            chunk.flip();
            writeFully(chunk);
            return length;
        } finally {
            pool.release(buf);
        }
    }

    private void writeZeroes(int length) throws IOException {
        while (length > 0) {
            ByteBuffer z = ZEROES.duplicate();
            z.limit(Math.min(length, z.capacity()));
            length -= z.remaining();
            writeFully(z);
        }
    }

    private void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }

    private void write(long cookie, int flags, long offset, ByteBuffer buf, int length) {
        try {
            int error = 0;
            try {
                ByteBuffer src = buf.slice(BufferPool.HEADROOM, length);
                device.write(offset, src);
                if (src.hasRemaining()) {
                    throw new IOException("device left " + src.remaining() + " of " + length + " bytes unwritten");
                }
                if ((flags & CMD_FLAG_FUA) != 0) {
                    device.flush();
                }
                metrics.bytesWritten.add(length);
            } catch (Exception e) {
                error = deviceError(e, "write", offset, length);
            }
            buf.limit(BufferPool.HEADROOM);
            reply(buf, cookie, error);
        } catch (Throwable t) {
            fatal(t);
        } finally {
            pool.release(buf);
            release(length);
        }
    }

    private void payloadless(long cookie, int flags, int type, long offset, long length) {
        ByteBuffer buf = null;
        try {
            buf = pool.acquire(0);
            int error = 0;
            try {
                switch (type) {
                    case CMD_FLUSH -> device.flush();
                    case CMD_TRIM -> device.trim(offset, length);
                    case CMD_WRITE_ZEROES -> device.writeZeroes(offset, length);
                    default -> throw new IllegalStateException("type " + type);
                }
                if (type != CMD_FLUSH && (flags & CMD_FLAG_FUA) != 0) {
                    device.flush();
                }
            } catch (Exception e) {
                error = deviceError(e, commandName(type), offset, length);
            }
            reply(buf, cookie, error);
        } catch (Throwable t) {
            fatal(t);
        } finally {
            if (buf != null) {
                pool.release(buf);
            }
            release(0);
        }
    }

    /** Sends {@code buf} (position 0; payload, if any, after the headroom) with a simple reply header in front. */
    private void reply(ByteBuffer buf, long cookie, int error) {
        if (error != 0) {
            metrics.countError(error);
        }
        buf.putInt(0, SIMPLE_REPLY_MAGIC).putInt(4, error).putLong(8, cookie).position(0);
        if (closed) {
            return;
        }
        writeLock.lock();
        try {
            while (buf.hasRemaining()) {
                out.write(buf);
            }
        } catch (IOException e) {
            if (!closed) {
                log.debug("NBD reply to {} failed: {}", remote, e.toString());
                close();
            }
        } finally {
            writeLock.unlock();
        }
    }

    private int deviceError(Exception e, String op, long offset, long length) {
        metrics.ioErrors.increment();
        // "It also SHOULD map the EDQUOT and EFBIG errors to NBD_ENOSPC."
        int error = noSpace(e) ? ENOSPC : EIO;
        int n = ioErrorsLogged.incrementAndGet();
        if (n <= LOGGED_IO_ERRORS) {
            log.warn("NBD {} of {} bytes at offset {} on export '{}' for {} failed ({}): {}{}", op, length, offset,
                    exportName, remote, errorName(error), e.toString(),
                    n == LOGGED_IO_ERRORS ? " (further errors on this connection are logged at DEBUG)" : "");
        }
        log.debug("NBD {} failure on export '{}'", op, exportName, e);
        return error;
    }

    private static boolean noSpace(Exception e) {
        String m = e.getMessage();
        return m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded")
                || m.contains("File too large"));
    }

    private void fatal(Throwable t) {
        log.error("NBD request handling failed for {}{}; closing the connection", remote, onExport(), t);
        close();
        if (t instanceof VirtualMachineError vme) {
            throw vme;
        }
    }
}
