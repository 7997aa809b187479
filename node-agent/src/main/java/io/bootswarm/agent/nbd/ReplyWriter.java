package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.*;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends the transmission phase's replies: the "Simple reply message" (magic, error, cookie, then a
 * READ's data), each written whole under one lock, since the requests of a connection are served
 * concurrently and answered in completion order. A READ served from {@link FileRegions} leaves as
 * its header followed by {@code sendfile} of the regions ("zero-copy"), still under the lock.
 *
 * <p>Once structured replies are negotiated ("Structured reply chunk message"), a READ is answered
 * with {@code NBD_REPLY_TYPE_OFFSET_DATA} chunks, and zero stretches of its file regions with
 * {@code NBD_REPLY_TYPE_OFFSET_HOLE} (one content chunk only under {@code NBD_CMD_FLAG_DF}); every
 * error with an {@code NBD_REPLY_TYPE_ERROR} chunk; block status with one
 * {@code NBD_REPLY_TYPE_BLOCK_STATUS} chunk per context. Other successes keep the simple reply,
 * which the protocol allows for replies without payload. The last chunk has {@code NBD_REPLY_FLAG_DONE}.
 *
 * <p>A reply that cannot be written closes the connection. So does an error while reading file
 * regions after the header went out: "If an error occurs while reading after the server has already
 * sent out the reply header with an error field set to zero ... the server MUST immediately initiate
 * a hard disconnect" ("Simple reply message").
 */
final class ReplyWriter {

    private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);
    /**
     * When sendfile finds the socket full, this much goes through a buffer with an ordinary write,
     * which parks until the socket has room; then sendfile resumes. Small, because its only job
     * is the wait (measured: 4 KiB beats 128 KiB by ~2x, and spinning on sendfile burns a core).
     */
    private static final int TRANSFER_FALLBACK_CHUNK = 4096;
    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(256 * 1024).asReadOnlyBuffer();
    /** Zero regions at least this long become OFFSET_HOLE chunks; shorter ones travel as bytes. */
    static final int MIN_HOLE = 4096;

    private final NbdConnection connection;
    private final NbdTransport transport;
    private final NbdMetrics metrics;
    private final BufferPool pool;
    private final ReentrantLock writeLock = new ReentrantLock();
    private final boolean structured;

    ReplyWriter(NbdConnection connection, NbdTransport transport, NbdMetrics metrics, BufferPool pool) {
        this(connection, transport, metrics, pool, false);
    }

    /** @param structured whether structured replies were negotiated */
    ReplyWriter(NbdConnection connection, NbdTransport transport, NbdMetrics metrics, BufferPool pool,
                boolean structured) {
        this.structured = structured;
        this.connection = connection;
        this.transport = transport;
        this.metrics = metrics;
        this.pool = pool;
    }

    /**
     * Sends a reply without payload ({@code buf} from the pool with its limit at the headroom): a
     * simple reply, or an error chunk when structured replies were negotiated.
     */
    void reply(ByteBuffer buf, long cookie, int error) {
        if (error != 0) {
            metrics.countError(error);
        }
        int h = BufferPool.HEADROOM;
        buf.limit(h);
        if (structured && error != 0) {
            int at = h - ERROR_CHUNK_SIZE;
            buf.putInt(at, STRUCTURED_REPLY_MAGIC).putShort(at + 4, (short) REPLY_FLAG_DONE)
                    .putShort(at + 6, (short) REPLY_TYPE_ERROR).putLong(at + 8, cookie).putInt(at + 16, 6)
                    .putInt(at + 20, error).putShort(at + 24, (short) 0).position(at);
        } else {
            int at = h - SIMPLE_REPLY_HEADER_SIZE;
            buf.putInt(at, SIMPLE_REPLY_MAGIC).putInt(at + 4, error).putLong(at + 8, cookie).position(at);
        }
        send(buf);
    }

    /** Sends a successful READ's data ({@code length} bytes after the headroom of {@code buf}). */
    void readReply(ByteBuffer buf, long cookie, long offset, int length) {
        int h = BufferPool.HEADROOM;
        buf.limit(h + length);
        if (structured) {
            buf.putInt(0, STRUCTURED_REPLY_MAGIC).putShort(4, (short) REPLY_FLAG_DONE)
                    .putShort(6, (short) REPLY_TYPE_OFFSET_DATA).putLong(8, cookie).putInt(16, length + 8)
                    .putLong(20, offset).position(0);
        } else {
            int at = h - SIMPLE_REPLY_HEADER_SIZE;
            buf.putInt(at, SIMPLE_REPLY_MAGIC).putInt(at + 4, 0).putLong(at + 8, cookie).position(at);
        }
        send(buf);
    }

    /**
     * Sends a successful block status: one {@code NBD_REPLY_TYPE_BLOCK_STATUS} chunk per context,
     * in the order given, each with at least one extent of at most 2^32-1 bytes.
     */
    void blockStatusReply(long cookie, List<MetaContext> contexts, List<List<Extent>> extents) {
        int size = 0;
        for (List<Extent> e : extents) {
            size += STRUCTURED_REPLY_HEADER_SIZE + 4 + 8 * e.size();
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        for (int i = 0; i < contexts.size(); i++) {
            List<Extent> e = extents.get(i);
            b.putInt(STRUCTURED_REPLY_MAGIC).putShort((short) (i == contexts.size() - 1 ? REPLY_FLAG_DONE : 0))
                    .putShort((short) REPLY_TYPE_BLOCK_STATUS).putLong(cookie).putInt(4 + 8 * e.size())
                    .putInt(contexts.get(i).id());
            for (Extent x : e) {
                b.putInt((int) x.length()).putInt(x.flags());
            }
        }
        send(b.flip());
    }

    private void send(ByteBuffer buf) {
        if (connection.isClosed()) {
            return;
        }
        writeLock.lock();
        try {
            transport.writeFully(buf);
        } catch (IOException e) {
            if (!connection.isClosed()) {
                log.debug("NBD reply to {} failed: {}", connection.remote(), e.toString());
                connection.close();
            }
        } finally {
            writeLock.unlock();
        }
    }

    /** Consecutive regions of a READ sent as one content chunk: data, or a hole. */
    record Chunk(boolean hole, long offset, int length, int fromRegion, int toRegion) {
    }

    /**
     * The content chunks of a structured READ reply: zero regions of at least {@link #MIN_HOLE} as
     * holes, the rest as data; with {@code NBD_CMD_FLAG_DF} a single chunk.
     */
    static List<Chunk> chunks(long offset, List<FileRegions.Region> regions, boolean dontFragment) {
        List<Chunk> out = new ArrayList<>();
        long pos = offset;
        boolean allZero = true;
        for (FileRegions.Region r : regions) {
            allZero &= r.file() == null;
        }
        for (int i = 0; i < regions.size(); i++) {
            FileRegions.Region r = regions.get(i);
            if (r.length() == 0) {
                continue;
            }
            boolean hole = dontFragment ? allZero : r.file() == null && r.length() >= MIN_HOLE;
            Chunk last = out.isEmpty() ? null : out.getLast();
            if (last != null && last.hole() == hole) {
                out.set(out.size() - 1, new Chunk(hole, last.offset(), last.length() + r.length(), last.fromRegion(),
                        i + 1));
            } else {
                out.add(new Chunk(hole, pos, r.length(), i, i + 1));
            }
            pos += r.length();
        }
        return out;
    }

    /** A successful READ reply of {@code length} bytes whose data are {@code regions} (already checked to add up). */
    void replyFromRegions(long cookie, long offset, int length, List<FileRegions.Region> regions) {
        replyFromRegions(cookie, offset, length, regions, false);
    }

    /** As {@link #replyFromRegions(long, long, int, List)}; {@code dontFragment}: NBD_CMD_FLAG_DF. */
    void replyFromRegions(long cookie, long offset, int length, List<FileRegions.Region> regions,
                          boolean dontFragment) {
        ByteBuffer header = pool.acquire(0);
        boolean headerSent = false;
        writeLock.lock();
        try {
            if (connection.isClosed()) {
                return;
            }
            if (!structured) {
                header.putInt(0, SIMPLE_REPLY_MAGIC).putInt(4, 0).putLong(8, cookie).position(0)
                        .limit(SIMPLE_REPLY_HEADER_SIZE);
                transport.writeFully(header);
                headerSent = true;
                sendRegions(regions, 0, regions.size());
            } else {
                List<Chunk> chunks = chunks(offset, regions, dontFragment);
                for (int i = 0; i < chunks.size(); i++) {
                    Chunk c = chunks.get(i);
                    short flags = (short) (i == chunks.size() - 1 ? REPLY_FLAG_DONE : 0);
                    header.clear().putInt(STRUCTURED_REPLY_MAGIC).putShort(flags);
                    if (c.hole()) {
                        header.putShort((short) REPLY_TYPE_OFFSET_HOLE).putLong(cookie).putInt(12)
                                .putLong(c.offset()).putInt(c.length());
                    } else {
                        header.putShort((short) REPLY_TYPE_OFFSET_DATA).putLong(cookie).putInt(c.length() + 8)
                                .putLong(c.offset());
                    }
                    header.flip();
                    transport.writeFully(header);
                    headerSent = true;
                    if (c.hole()) {
                        metrics.holeBytes.add(c.length());
                    } else {
                        sendRegions(regions, c.fromRegion(), c.toRegion());
                    }
                }
                if (chunks.isEmpty()) {
                    throw new IllegalStateException("a READ of no bytes");
                }
            }
            metrics.bytesRead.add(length);
            metrics.zeroCopyReads.increment();
        } catch (RegionReadFailure e) {
            metrics.ioErrors.increment();
            log.warn("NBD read of {} bytes at offset {} on export '{}' for {} failed after its reply header; "
                    + "closing the connection: {}", length, offset, connection.exportName(), connection.remote(),
                    e.getCause().toString());
            connection.close();
        } catch (IOException e) {
            if (!connection.isClosed()) {
                log.debug("NBD reply to {} failed{}: {}", connection.remote(), headerSent ? " part way" : "",
                        e.toString());
                connection.close();
            }
        } catch (Throwable t) {
            connection.fatal(t);
        } finally {
            writeLock.unlock();
            pool.release(header);
        }
    }

    private void sendRegions(List<FileRegions.Region> regions, int from, int to) throws IOException {
        for (int i = from; i < to; i++) {
            FileRegions.Region r = regions.get(i);
            if (r.file() == null) {
                writeZeroes(r.length());
            } else {
                transferFully(r.file(), r.position(), r.length());
            }
        }
    }

    /** After a clean end of a TLS session: close_notify (the socket is closed next). */
    void closeTls() {
        TlsChannel tls = transport.tls();
        if (tls != null && !connection.isClosed()) {
            writeLock.lock();
            try {
                tls.shutdownOutput();
            } catch (IOException e) {
                log.debug("NBD TLS close with {} failed: {}", connection.remote(), e.toString());
            } finally {
                writeLock.unlock();
            }
        }
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
        SocketChannel socket = transport.socket();
        while (length > 0) {
            long n;
            try {
                n = file.transferTo(position, length, socket);
            } catch (IOException e) {
                if (!socket.isOpen()) {
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
            transport.writeFully(chunk);
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
            transport.writeFully(z);
        }
    }
}
