package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.*;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Serves validated transmission requests on the export's {@link BlockDevice}, on the thread
 * {@link NbdTransmission} chose, as "Request types" says: {@code NBD_CMD_READ} (from {@link FileRegions} with
 * {@code sendfile} where the device has them), {@code NBD_CMD_WRITE}, {@code NBD_CMD_FLUSH},
 * {@code NBD_CMD_TRIM}, {@code NBD_CMD_WRITE_ZEROES} (and its fast variant), {@code NBD_CMD_CACHE},
 * {@code NBD_CMD_BLOCK_STATUS}, with {@code NBD_CMD_FLAG_FUA} of "Command
 * flags"; a device failure becomes the error of "Error values" ({@code NBD_ENOSPC} for a full disk,
 * else {@code NBD_EIO}). Every method replies through the {@link ReplyWriter} and gives back the
 * request's {@link InFlightLimits} permits, whatever happens.
 */
final class NbdCommands {

    private static final Logger log = LoggerFactory.getLogger(NbdCommands.class);
    private static final int LOGGED_IO_ERRORS = 10;

    private final NbdConnection connection;
    private final NbdTransport transport;
    private final BlockDevice device;
    private final NbdMetrics metrics;
    private final BufferPool pool;
    private final ReplyWriter replies;
    private final InFlightLimits limits;
    private final AtomicInteger ioErrorsLogged = new AtomicInteger();

    NbdCommands(NbdConnection connection, NbdTransport transport, BlockDevice device, NbdMetrics metrics,
                BufferPool pool, ReplyWriter replies, InFlightLimits limits) {
        this.connection = connection;
        this.transport = transport;
        this.device = device;
        this.metrics = metrics;
        this.pool = pool;
        this.replies = replies;
        this.limits = limits;
    }

    /** A reply carrying only {@code error}, for a request refused before reaching the device. */
    void error(long cookie, int error) {
        ByteBuffer buf = pool.acquire(0);
        try {
            replies.reply(buf, cookie, error);
        } finally {
            pool.release(buf);
            limits.release(0);
        }
    }

    /**
     * Serves a READ with {@code sendfile} if its bytes are all in local files, with nothing to wait
     * for (a device error still gets its error reply here).
     *
     * @return false if nothing was sent: the READ is still to be served by {@link #read}
     */
    boolean readIfLocal(long cookie, int flags, long offset, int length) {
        return !transport.isTls() && device instanceof FileRegions files
                && readZeroCopy(files, cookie, (flags & CMD_FLAG_DF) != 0, offset, length);
    }

    void read(long cookie, int flags, long offset, int length) {
        if (!transport.isTls() && device instanceof FileRegions files
                && readZeroCopy(files, cookie, (flags & CMD_FLAG_DF) != 0, offset, length)) {
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
                replies.readReply(buf, cookie, offset, length);
            } else {
                replies.reply(buf, cookie, error); // "it MUST NOT send any payload for this request"
            }
        } catch (Throwable t) {
            connection.fatal(t);
        } finally {
            if (buf != null) {
                pool.release(buf);
            }
            limits.release(length);
        }
    }

    /**
     * Answers a READ from file regions with {@code sendfile}, if the device has them for this range.
     *
     * @return false if the request is still to be answered (no regions: use {@link BlockDevice#read})
     */
    private boolean readZeroCopy(FileRegions files, long cookie, boolean dontFragment, long offset, int length) {
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
                replies.reply(buf, cookie, error);
            } finally {
                pool.release(buf);
                limits.release(length);
            }
            return true;
        } catch (Throwable t) {
            limits.release(length);
            connection.fatal(t);
            return true;
        }
        try {
            replies.replyFromRegions(cookie, offset, length, regions, dontFragment);
        } finally {
            limits.release(length);
        }
        return true;
    }

    /** {@code buf} holds the payload after {@link BufferPool#HEADROOM}; it goes back to the pool here. */
    void write(long cookie, int flags, long offset, ByteBuffer buf, int length) {
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
            replies.reply(buf, cookie, error);
        } catch (Throwable t) {
            connection.fatal(t);
        } finally {
            pool.release(buf);
            limits.release(length);
        }
    }

    /** FLUSH, TRIM and WRITE_ZEROES: no payload either way. */
    void payloadless(long cookie, int flags, int type, long offset, long length) {
        ByteBuffer buf = null;
        try {
            buf = pool.acquire(0);
            int error = 0;
            try {
                if (type == CMD_WRITE_ZEROES && (flags & CMD_FLAG_FAST_ZERO) != 0) {
                    error = fastZero(offset, length);
                    replies.reply(buf, cookie, error);
                    return;
                }
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
            replies.reply(buf, cookie, error);
        } catch (Throwable t) {
            connection.fatal(t);
        } finally {
            if (buf != null) {
                pool.release(buf);
            }
            limits.release(0);
        }
    }

    /**
     * WRITE_ZEROES with {@code NBD_CMD_FLAG_FAST_ZERO}: succeeds without touching the device where
     * {@code base:allocation} already reports the whole range as reading zeroes (what is zero stays
     * zero), and otherwise fails at once with {@code NBD_ENOTSUP}, as "Request types" asks of a
     * server that cannot zero faster than it writes: a device writes zeroes like any other bytes.
     */
    private int fastZero(long offset, long length) {
        try {
            List<Extent> first = device.extents(offset, length, MetaContext.BASE_ALLOCATION, 1);
            if (!first.isEmpty() && first.getFirst().length() >= length
                    && (first.getFirst().flags() & MetaContext.STATE_ZERO) != 0) {
                return 0;
            }
        } catch (Exception e) {
            log.debug("NBD fast zero on export '{}' cannot tell the range's status: {}", connection.exportName(),
                    e.toString());
        }
        metrics.fastZeroRefused.increment();
        return ENOTSUP;
    }

    /**
     * {@code NBD_CMD_CACHE}: hands the range to {@link BlockDevice#cache} and replies at once ("the
     * server MAY send a reply prior to the requested area being fully cached"). The hint's failure
     * is logged and not the client's concern: it changes nothing for later reads.
     */
    void cache(long cookie, long offset, long length) {
        ByteBuffer buf = null;
        try {
            buf = pool.acquire(0);
            try {
                device.cache(offset, length);
            } catch (Exception e) {
                log.debug("NBD cache hint of {} bytes at offset {} on export '{}' failed: {}", length, offset,
                        connection.exportName(), e.toString());
            }
            replies.reply(buf, cookie, 0);
        } catch (Throwable t) {
            connection.fatal(t);
        } finally {
            if (buf != null) {
                pool.release(buf);
            }
            limits.release(0);
        }
    }

    /**
     * {@code NBD_CMD_BLOCK_STATUS}: the device's extents for each selected context, cut to what the
     * request allows (one extent of at most {@code length} with {@code NBD_CMD_FLAG_REQ_ONE}, at
     * most {@code length} in all, each under 2^32).
     */
    void blockStatus(long cookie, int flags, long offset, long length, List<MetaContext> contexts) {
        try {
            List<List<Extent>> all = new ArrayList<>(contexts.size());
            int error = 0;
            try {
                boolean one = (flags & CMD_FLAG_REQ_ONE) != 0;
                for (MetaContext context : contexts) {
                    all.add(fit(device.extents(offset, length, context, one ? 1 : Extents.MAX_EXTENTS), length, one));
                }
            } catch (Exception e) {
                error = deviceError(e, "block_status", offset, length);
            }
            if (error == 0) {
                replies.blockStatusReply(cookie, contexts, all);
            } else {
                ByteBuffer buf = pool.acquire(0);
                try {
                    replies.reply(buf, cookie, error);
                } finally {
                    pool.release(buf);
                }
            }
        } catch (Throwable t) {
            connection.fatal(t);
        } finally {
            limits.release(0);
        }
    }

    /** The device's extents as the reply may carry them; a device that breaks its contract is an I/O error. */
    static List<Extent> fit(List<Extent> extents, long length, boolean one) throws IOException {
        if (extents.isEmpty()) {
            throw new IOException("the device reported no extents");
        }
        List<Extent> out = new ArrayList<>(one ? 1 : extents.size());
        long left = length;
        for (Extent e : extents) {
            if (left <= 0) {
                break;
            }
            long n = Math.min(e.length(), left);
            out.add(new Extent(n, e.flags()));
            left -= n;
            if (one) {
                break;
            }
        }
        return out;
    }

    private int deviceError(Exception e, String op, long offset, long length) {
        metrics.ioErrors.increment();
        // "It also SHOULD map the EDQUOT and EFBIG errors to NBD_ENOSPC."
        int error = noSpace(e) ? ENOSPC : EIO;
        int n = ioErrorsLogged.incrementAndGet();
        if (n <= LOGGED_IO_ERRORS) {
            log.warn("NBD {} of {} bytes at offset {} on export '{}' for {} failed ({}): {}{}", op, length, offset,
                    connection.exportName(), connection.remote(), errorName(error), e.toString(),
                    n == LOGGED_IO_ERRORS ? " (further errors on this connection are logged at DEBUG)" : "");
        }
        log.debug("NBD {} failure on export '{}'", op, connection.exportName(), e);
        return error;
    }

    /**
     * ENOSPC, EDQUOT or EFBIG, as the JDK words them, anywhere in the cause chain (a device may wrap
     * the file system's exception, e.g. a piece store that filled up while fetching for a write's
     * copy-on-write).
     */
    static boolean noSpace(Throwable e) {
        Throwable t = e;
        for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) {
            String m = t.getMessage();
            if (m != null && (m.contains("No space left on device") || m.contains("Disk quota exceeded")
                    || m.contains("File too large"))) {
                return true;
            }
        }
        return false;
    }
}
