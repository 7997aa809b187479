package io.bootswarm.agent.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/**
 * Buffered, blocking reads from a channel: small fields (option headers, 28-byte request headers)
 * come out of one direct buffer filled by as few system calls as possible, while large payloads
 * go straight from the socket into the caller's buffer. Used by one thread at a time.
 */
final class ChannelInput {

    private final ReadableByteChannel channel;
    /** Always in read mode (position..limit = unread bytes). */
    private final ByteBuffer buf;

    ChannelInput(ReadableByteChannel channel, int bufferSize) {
        this.channel = channel;
        this.buf = ByteBuffer.allocateDirect(bufferSize);
        this.buf.flip();
    }

    /**
     * Makes at least {@code n} bytes ({@code n <= buffer size}) available.
     *
     * @return false if the stream ended cleanly before any of them arrived and {@code eofOk}
     * @throws EOFException if the stream ended part way, or at once and not {@code eofOk}
     */
    boolean require(int n, boolean eofOk) throws IOException {
        if (buf.remaining() >= n) {
            return true;
        }
        int had = buf.remaining();
        buf.compact();
        try {
            while (buf.position() < n) {
                if (channel.read(buf) < 0) {
                    if (eofOk && buf.position() == 0 && had == 0) {
                        return false;
                    }
                    throw new EOFException("stream ended after " + buf.position() + " of " + n + " bytes");
                }
            }
        } finally {
            buf.flip();
        }
        return true;
    }

    /** Bytes received and not yet consumed. */
    int buffered() {
        return buf.remaining();
    }

    int readInt() throws IOException {
        require(4, false);
        return buf.getInt();
    }

    long readLong() throws IOException {
        require(8, false);
        return buf.getLong();
    }

    /** Direct view of the buffer for parsing fields already {@link #require required}. */
    ByteBuffer buffer() {
        return buf;
    }

    /** Fills all remaining bytes of {@code dst}. */
    void readFully(ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int avail = buf.remaining();
            if (avail > 0) {
                int n = Math.min(avail, dst.remaining());
                dst.put(dst.position(), buf, buf.position(), n);
                dst.position(dst.position() + n);
                buf.position(buf.position() + n);
            } else if (dst.remaining() >= buf.capacity()) {
                if (channel.read(dst) < 0) {
                    throw new EOFException("stream ended with " + dst.remaining() + " bytes still expected");
                }
            } else {
                require(1, false);
            }
        }
    }

    byte[] readBytes(int n) throws IOException {
        byte[] out = new byte[n];
        readFully(ByteBuffer.wrap(out));
        return out;
    }

    /** Reads and drops {@code n} bytes, without allocating. */
    void skip(long n) throws IOException {
        while (n > 0) {
            if (!buf.hasRemaining()) {
                require(1, false);
            }
            int k = (int) Math.min(n, buf.remaining());
            buf.position(buf.position() + k);
            n -= k;
        }
    }
}
