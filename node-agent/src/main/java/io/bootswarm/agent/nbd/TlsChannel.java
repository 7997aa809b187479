package io.bootswarm.agent.nbd;

import javax.net.ssl.SSLSocket;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;

/**
 * A session after {@code NBD_OPT_STARTTLS}: blocking channel reads and writes through an
 * {@link SSLSocket} layered over the accepted socket. One thread may read while another writes
 * (the connection's reader and the reply writer holding its write lock); direct buffers pass
 * through one heap buffer per direction.
 */
final class TlsChannel implements ByteChannel {

    private static final int CHUNK = 64 * 1024;

    private final SSLSocket socket;
    private final InputStream in;
    private final OutputStream out;
    private final byte[] readChunk = new byte[CHUNK];
    private final byte[] writeChunk = new byte[CHUNK];

    TlsChannel(SSLSocket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
    }

    /** "TLSv1.3 TLS_AES_256_GCM_SHA384" and the client's certificate subject, if it sent one. */
    String describe() {
        var session = socket.getSession();
        String peer;
        try {
            peer = " client " + session.getPeerPrincipal().getName();
        } catch (javax.net.ssl.SSLPeerUnverifiedException e) {
            peer = "";
        }
        return session.getProtocol() + " " + session.getCipherSuite() + peer;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (dst.hasArray()) {
            int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        int n = in.read(readChunk, 0, Math.min(CHUNK, dst.remaining()));
        if (n > 0) {
            dst.put(readChunk, 0, n);
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        int n = src.remaining();
        if (src.hasArray()) {
            out.write(src.array(), src.arrayOffset() + src.position(), n);
            src.position(src.limit());
            return n;
        }
        while (src.hasRemaining()) {
            int k = Math.min(CHUNK, src.remaining());
            src.get(writeChunk, 0, k);
            out.write(writeChunk, 0, k);
        }
        return n;
    }

    @Override
    public boolean isOpen() {
        return !socket.isClosed();
    }

    /** Sends close_notify; the socket stays open. */
    void shutdownOutput() throws IOException {
        socket.shutdownOutput();
    }

    /** Sends user_canceled and close_notify (TLS 1.3) and closes the underlying socket. */
    @Override
    public void close() throws IOException {
        socket.close();
    }
}
