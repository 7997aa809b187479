package io.bootswarm.agent.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;

/**
 * The byte streams of one NBD connection: the accepted socket, and after {@code NBD_OPT_STARTTLS}
 * ("TLS support") the TLS session layered over it, which from then on carries everything in both
 * directions. The handshake may {@link #upgrade} it; the transmission phase only reads and writes.
 *
 * <p>Written only by the connection's own thread during the handshake; request threads are started
 * after it, so they see the final streams.
 */
final class NbdTransport {

    private static final int INPUT_BUFFER_SIZE = 64 * 1024;

    private final SocketChannel socket;
    private ChannelInput in;
    private WritableByteChannel out;
    /** The session after a successful STARTTLS, else null. */
    private TlsChannel tls;

    NbdTransport(SocketChannel socket) {
        this.socket = socket;
        this.in = new ChannelInput(socket, INPUT_BUFFER_SIZE);
        this.out = socket;
    }

    /** The plain socket underneath (for {@code sendfile}, TLS layering and closing). */
    SocketChannel socket() {
        return socket;
    }

    /** What the client sends: option requests, request headers and WRITE payloads. */
    ChannelInput in() {
        return in;
    }

    /** Where replies go: the socket, or the TLS session once upgraded. */
    WritableByteChannel out() {
        return out;
    }

    /** The TLS session, or null before STARTTLS (and always in NOTLS mode). */
    TlsChannel tls() {
        return tls;
    }

    boolean isTls() {
        return tls != null;
    }

    /** From now on everything goes through {@code session}; unread plaintext must not exist. */
    void upgrade(TlsChannel session) {
        this.tls = session;
        this.in = new ChannelInput(session, INPUT_BUFFER_SIZE);
        this.out = session;
    }

    /** Writes all of {@code b} to {@link #out()}, without locking (callers serialize their writes). */
    void writeFully(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            out.write(b);
        }
    }
}
