package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.SIMPLE_REPLY_MAGIC;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends the transmission phase's replies: the "Simple reply message" (magic, error, cookie, then a
 * READ's data), each written whole under one lock, since the requests of a connection are served
 * concurrently and answered in completion order. A READ served from {@link FileRegions} leaves as
 * its header followed by {@code sendfile} of the regions ("zero-copy"), still under the lock.
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

    private final NbdConnection connection;
    private final NbdTransport transport;
    private final NbdMetrics metrics;
    private final BufferPool pool;
    private final ReentrantLock writeLock = new ReentrantLock();

    ReplyWriter(NbdConnection connection, NbdTransport transport, NbdMetrics metrics, BufferPool pool) {
        this.connection = connection;
        this.transport = transport;
        this.metrics = metrics;
        this.pool = pool;
    }

    /** Sends {@code buf} (position 0; payload, if any, after the headroom) with a simple reply header in front. */
    void reply(ByteBuffer buf, long cookie, int error) {
        if (error != 0) {
            metrics.countError(error);
        }
        buf.putInt(0, SIMPLE_REPLY_MAGIC).putInt(4, error).putLong(8, cookie).position(0);
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

    /** A successful READ reply of {@code length} bytes whose data are {@code regions} (already checked to add up). */
    void replyFromRegions(long cookie, long offset, int length, List<FileRegions.Region> regions) {
        ByteBuffer header = pool.acquire(0);
        header.putInt(0, SIMPLE_REPLY_MAGIC).putInt(4, 0).putLong(8, cookie).position(0);
        boolean headerSent = false;
        writeLock.lock();
        try {
            if (connection.isClosed()) {
                return;
            }
            transport.writeFully(header);
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
