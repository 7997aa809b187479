package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.*;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ThreadFactory;

/**
 * The transmission phase of one connection ("Transmission"): reads each "Request message" (the
 * 28-byte header and a WRITE's payload) on the connection's own thread, in order, and validates it
 * against "Request types" and "Command flags" (refusals get the errors of "Error values" without
 * reaching the device). {@link NbdCommands} serves it and {@link ReplyWriter} answers it; replies go
 * out in completion order.
 *
 * <p>Where a request is served: one that cannot wait on the network is served right there on the
 * reading thread, saving the hand-over to another thread that would otherwise be most of its round
 * trip: {@code NBD_CMD_BLOCK_STATUS} ({@link BlockDevice#extents} "must not wait on the network"),
 * {@code NBD_CMD_CACHE} (a hint that returns at once), and a READ whose bytes are all in local files
 * ({@link FileRegions}), of at most {@link #INLINE_READ_MAX}, when no further request is already
 * waiting in the input buffer (a client keeping one request at a time in flight, as a booting guest
 * often does). Every other request,
 * and a READ while the client keeps several in flight, starts on a virtual thread of its own, so a
 * READ waiting for a missing piece does not hold up the requests behind it and pipelined READs go
 * out concurrently.
 *
 * <p>Back-pressure: {@link InFlightLimits}. {@code NBD_CMD_DISC}: "The server MUST handle all
 * outstanding requests ... and close the TCP session", so the reader stops and waits for the
 * requests in flight. A request's thread is never interrupted (an interrupt would close a
 * device's {@code FileChannel} for everyone).
 *
 * <p>With structured replies negotiated a READ may carry {@code NBD_CMD_FLAG_DF}, and with meta
 * contexts selected {@code NBD_CMD_BLOCK_STATUS} (with {@code NBD_CMD_FLAG_REQ_ONE}) is served.
 * {@code NBD_CMD_CACHE} (no flags) and {@code NBD_CMD_WRITE_ZEROES} with {@code NBD_CMD_FLAG_FAST_ZERO}
 * are always served.
 */
final class NbdTransmission {

    private static final Logger log = LoggerFactory.getLogger(NbdTransmission.class);
    private static final ThreadFactory REQUEST_THREADS = Thread.ofVirtual().name("nbd-request").factory();
    /**
     * READs up to this long may be served on the reading thread. A longer one takes longer to send
     * than the hand-over to a virtual thread costs (tens of microseconds), and the requests the
     * client sends meanwhile are better read and started at once (QEMU's 2 MiB reads of a copy).
     */
    static final int INLINE_READ_MAX = 256 * 1024;

    private final NbdConnection connection;
    private final NbdTransport transport;
    private final long exportSize;
    private final NbdMetrics metrics;
    private final BufferPool pool;
    private final InFlightLimits limits;
    private final ReplyWriter replies;
    private final NbdCommands commands;
    private final boolean structured;
    private final List<MetaContext> contexts;

    NbdTransmission(NbdConnection connection, NbdTransport transport, NbdHandshake.Export export,
                    NbdServerSettings settings, NbdMetrics metrics, BufferPool pool, BufferBudget budget) {
        this.connection = connection;
        this.transport = transport;
        this.exportSize = export.size();
        this.structured = export.structured();
        this.contexts = export.contexts();
        this.metrics = metrics;
        this.pool = pool;
        this.limits = new InFlightLimits(settings.maxRequestsInFlight(), settings.maxBytesInFlight(), budget);
        this.replies = new ReplyWriter(connection, transport, metrics, pool, export.structured());
        this.commands = new NbdCommands(connection, transport, export.device(), metrics, pool, replies, limits);
    }

    /** Reads requests until the client disconnects (or the input is shut down), then waits for those in flight. */
    void run() throws IOException, InterruptedException {
        ChannelInput in = transport.in();
        ByteBuffer b = in.buffer();
        while (in.require(REQUEST_HEADER_SIZE, true)) {
            int magic = b.getInt();
            if (magic != REQUEST_MAGIC) {
                throw new NbdConnection.ProtocolViolation(String.format("bad request magic 0x%08x", magic));
            }
            int flags = Short.toUnsignedInt(b.getShort());
            int type = Short.toUnsignedInt(b.getShort());
            long cookie = b.getLong();
            long offset = b.getLong();
            long length = Integer.toUnsignedLong(b.getInt());
            metrics.countRequest(type);
            if (type == CMD_DISC) {
                // "The server MUST handle all outstanding requests ... and close the TCP session."
                log.debug("NBD client {} on export '{}' disconnects", connection.remote(), connection.exportName());
                break;
            }
            request(flags, type, cookie, offset, length);
        }
        limits.awaitNoneInFlight(connection::isClosed);
    }

    /** After a clean end: the TLS session's close_notify, if there is one. */
    void closeTls() {
        replies.closeTls();
    }

    private void request(int flags, int type, long cookie, long offset, long length)
            throws IOException, InterruptedException {
        int error = validate(flags, type, offset, length);
        if (type == CMD_WRITE) {
            if (error != 0) {
                transport.in().skip(length); // the payload follows whatever we think of the request
                replyErrorLater(cookie, error);
                return;
            }
            int len = (int) length;
            limits.acquire(len);
            ByteBuffer buf = null;
            try {
                buf = pool.acquire(len);
                buf.position(BufferPool.HEADROOM);
                transport.in().readFully(buf);
            } catch (IOException | RuntimeException e) {
                if (buf != null) {
                    pool.release(buf);
                }
                limits.release(len);
                throw e;
            }
            ByteBuffer payload = buf;
            start(() -> commands.write(cookie, flags, offset, payload, len));
            return;
        }
        if (error != 0) {
            replyErrorLater(cookie, error);
            return;
        }
        switch (type) {
            case CMD_READ -> {
                int len = (int) length;
                limits.acquire(len);
                if (!(len <= INLINE_READ_MAX && noRequestWaiting()
                        && commands.readIfLocal(cookie, flags, offset, len))) {
                    start(() -> commands.read(cookie, flags, offset, len));
                }
            }
            case CMD_FLUSH, CMD_TRIM, CMD_WRITE_ZEROES -> {
                limits.acquire(0);
                start(() -> commands.payloadless(cookie, flags, type, offset, length));
            }
            case CMD_BLOCK_STATUS -> {
                limits.acquire(0);
                commands.blockStatus(cookie, flags, offset, length, contexts);
            }
            case CMD_CACHE -> {
                limits.acquire(0);
                commands.cache(cookie, offset, length);
            }
            default -> throw new IllegalStateException("validated unknown type " + type);
        }
    }

    /** No further request header is already in the input buffer (the client is not pipelining). */
    private boolean noRequestWaiting() {
        return transport.in().buffer().remaining() < REQUEST_HEADER_SIZE;
    }

    /** @return 0 or the error the request gets without reaching the device */
    int validate(int flags, int type, long offset, long length) {
        // FUA "is valid for all commands, provided NBD_FLAG_SEND_FUA has been negotiated";
        // other flags only where documented ("Command flags"), else EINVAL ("Error values").
        return switch (type) {
            case CMD_READ -> (flags & ~(structured ? CMD_FLAG_FUA | CMD_FLAG_DF : CMD_FLAG_FUA)) != 0 || length == 0 || length > MAX_PAYLOAD
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
                if ((flags & ~(CMD_FLAG_FUA | CMD_FLAG_NO_HOLE | CMD_FLAG_FAST_ZERO)) != 0 || length == 0) {
                    yield EINVAL;
                }
                yield inRange(offset, length) ? 0 : ENOSPC;
            }
            // "Servers SHOULD reply with NBD_EINVAL to clients sending NBD_CMD_BLOCK_STATUS without
            // selecting at least one metadata context."
            case CMD_BLOCK_STATUS -> contexts.isEmpty() || (flags & ~(CMD_FLAG_FUA | CMD_FLAG_REQ_ONE)) != 0
                    || length == 0 || !inRange(offset, length) ? EINVAL : 0;
            // "if it advertised the command, the server MUST reject any command flags it does not recognize."
            case CMD_CACHE -> flags != 0 || length == 0 || !inRange(offset, length) ? EINVAL : 0;
            default -> EINVAL;
        };
    }

    /** {@code offset} is an unsigned 64-bit value: above 2^63 it is negative here and out of range. */
    private boolean inRange(long offset, long length) {
        return offset >= 0 && offset <= exportSize && length <= exportSize - offset;
    }

    private void replyErrorLater(long cookie, int error) throws InterruptedException {
        limits.acquire(0);
        start(() -> commands.error(cookie, error));
    }

    private static void start(Runnable task) {
        REQUEST_THREADS.newThread(task).start();
    }
}
