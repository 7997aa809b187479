package io.bootswarm.agent.nbd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately naive NBD client speaking the wire format byte by byte, written from proto.md
 * independently of the server's code, so that protocol tests check the bytes on the wire.
 */
final class RawNbdClient implements Closeable {

    static final long NBDMAGIC = 0x4e42444d41474943L;
    static final long IHAVEOPT = 0x49484156454F5054L;
    static final long REPLY_MAGIC = 0x3e889045565a9L;
    static final int REQUEST_MAGIC = 0x25609513;
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;

    record OptionReply(int option, int type, byte[] data) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }

        String text() {
            return new String(data, StandardCharsets.UTF_8);
        }
    }

    record Reply(int error, long cookie, byte[] data) {
    }

    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;

    /** One structured reply chunk ("Structured reply chunk message"). */
    record Chunk(int flags, int type, long cookie, byte[] payload) {
        boolean done() {
            return (flags & 1) != 0;
        }

        ByteBuffer buffer() {
            return ByteBuffer.wrap(payload);
        }
    }

    /** Option data of NBD_OPT_LIST/SET_META_CONTEXT: export name, then the queries. */
    static byte[] metaData(String export, String... queries) {
        byte[] n = export.getBytes(StandardCharsets.UTF_8);
        int size = 4 + n.length + 4;
        for (String q : queries) {
            size += 4 + q.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer b = ByteBuffer.allocate(size).putInt(n.length).put(n).putInt(queries.length);
        for (String q : queries) {
            byte[] qb = q.getBytes(StandardCharsets.UTF_8);
            b.putInt(qb.length).put(qb);
        }
        return b.array();
    }

    /** Sends an option and reads its replies up to and including the first that is not {@code repeated}. */
    List<OptionReply> optionReplies(int option, byte[] data, int repeated) throws IOException {
        option(option, data);
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = optionReply();
            replies.add(r);
            if (r.type() != repeated) {
                return replies;
            }
        }
    }

    /** Reads one structured reply chunk. */
    Chunk chunk() throws IOException {
        int magic = in.readInt();
        if (magic != STRUCTURED_REPLY_MAGIC) {
            throw new IOException("bad structured reply magic " + Integer.toHexString(magic));
        }
        int flags = in.readUnsignedShort();
        int type = in.readUnsignedShort();
        long cookie = in.readLong();
        int length = in.readInt();
        if (length < 0 || length > (33 << 20)) {
            throw new IOException("chunk length " + length);
        }
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Chunk(flags, type, cookie, payload);
    }

    /** Reads the chunks of one reply (no other reply interleaved), up to the one marked done. */
    List<Chunk> structuredReply() throws IOException {
        List<Chunk> chunks = new ArrayList<>();
        do {
            chunks.add(chunk());
        } while (!chunks.getLast().done());
        return chunks;
    }

    final Socket socket;
    DataInputStream in;
    DataOutputStream out;

    RawNbdClient(int port) throws IOException {
        this(port, 0);
    }

    /** With a small {@code receiveBuffer} (bytes; 0 = system default) the server's sends fill up quickly. */
    RawNbdClient(int port, int receiveBuffer) throws IOException {
        socket = new Socket();
        if (receiveBuffer > 0) {
            socket.setReceiveBufferSize(receiveBuffer);
        }
        socket.connect(new java.net.InetSocketAddress("127.0.0.1", port), 10_000);
        socket.setSoTimeout(15_000);
        socket.setTcpNoDelay(true);
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
    }

    /** Reads the server greeting, checks both magics, returns the handshake flags. */
    int greeting() throws IOException {
        long magic = in.readLong();
        if (magic != NBDMAGIC) {
            throw new IOException("bad NBDMAGIC " + Long.toHexString(magic));
        }
        long ihaveopt = in.readLong();
        if (ihaveopt != IHAVEOPT) {
            throw new IOException("bad IHAVEOPT " + Long.toHexString(ihaveopt));
        }
        return in.readUnsignedShort();
    }

    void clientFlags(int flags) throws IOException {
        out.writeInt(flags);
        out.flush();
    }

    /** Greeting plus client flags FIXED_NEWSTYLE|NO_ZEROES. */
    RawNbdClient start() throws IOException {
        greeting();
        clientFlags(3);
        return this;
    }

    void option(int option, byte[] data) throws IOException {
        out.writeLong(IHAVEOPT);
        out.writeInt(option);
        out.writeInt(data.length);
        out.write(data);
        out.flush();
    }

    OptionReply optionReply() throws IOException {
        long magic = in.readLong();
        if (magic != REPLY_MAGIC) {
            throw new IOException("bad option reply magic " + Long.toHexString(magic));
        }
        int option = in.readInt();
        int type = in.readInt();
        int length = in.readInt();
        if (length < 0 || length > 1 << 20) {
            throw new IOException("option reply length " + length);
        }
        byte[] data = new byte[length];
        in.readFully(data);
        return new OptionReply(option, type, data);
    }

    static byte[] infoData(String name, int... infoRequests) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infoRequests.length);
        b.putInt(n.length).put(n).putShort((short) infoRequests.length);
        for (int r : infoRequests) {
            b.putShort((short) r);
        }
        return b.array();
    }

    /** Sends NBD_OPT_INFO (6) or NBD_OPT_GO (7) and reads replies up to and including the final one. */
    List<OptionReply> infoOrGo(int option, String name, int... infoRequests) throws IOException {
        option(option, infoData(name, infoRequests));
        List<OptionReply> replies = new ArrayList<>();
        while (true) {
            OptionReply r = optionReply();
            replies.add(r);
            if (r.type() != 3) { // NBD_REP_INFO
                return replies;
            }
        }
    }

    /** NBD_OPT_GO, asserting success; returns the export size. */
    long go(String name) throws IOException {
        List<OptionReply> replies = infoOrGo(7, name, 3);
        OptionReply last = replies.getLast();
        if (last.type() != 1) {
            throw new IOException("NBD_OPT_GO failed with reply type 0x" + Integer.toHexString(last.type()));
        }
        for (OptionReply r : replies) {
            ByteBuffer b = r.buffer();
            if (r.type() == 3 && b.getShort() == 0) {
                return b.getLong();
            }
        }
        throw new IOException("no NBD_INFO_EXPORT");
    }

    void request(int flags, int type, long cookie, long offset, long length, byte[] payload) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(flags);
        out.writeShort(type);
        out.writeLong(cookie);
        out.writeLong(offset);
        out.writeInt((int) length);
        if (payload != null) {
            out.write(payload);
        }
    }

    void flush() throws IOException {
        out.flush();
    }

    /** Reads one simple reply; if it has no error and {@code readLength > 0}, that many data bytes follow. */
    Reply reply(java.util.function.LongToIntFunction readLengthOfCookie) throws IOException {
        int magic = in.readInt();
        if (magic != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad simple reply magic " + Integer.toHexString(magic));
        }
        int error = in.readInt();
        long cookie = in.readLong();
        byte[] data = new byte[0];
        if (error == 0) {
            data = new byte[readLengthOfCookie.applyAsInt(cookie)];
            in.readFully(data);
        }
        return new Reply(error, cookie, data);
    }

    Reply reply() throws IOException {
        return reply(c -> 0);
    }

    /**
     * After the server's NBD_REP_ACK to NBD_OPT_STARTTLS: the TLS handshake over the same socket, as
     * a client checking the server's certificate (and host 127.0.0.1); NBD continues over TLS. A failed
     * handshake leaves the plain socket open, so that {@link #closedByServer()} can still be asked.
     */
    javax.net.ssl.SSLSocket startTls(javax.net.ssl.SSLContext context) throws IOException {
        javax.net.ssl.SSLSocket tls = (javax.net.ssl.SSLSocket) context.getSocketFactory()
                .createSocket(socket, "127.0.0.1", socket.getPort(), false);
        javax.net.ssl.SSLParameters params = tls.getSSLParameters();
        params.setEndpointIdentificationAlgorithm("HTTPS");
        tls.setSSLParameters(params);
        tls.startHandshake();
        in = new DataInputStream(new BufferedInputStream(tls.getInputStream()));
        out = new DataOutputStream(new BufferedOutputStream(tls.getOutputStream(), 1 << 16));
        return tls;
    }

    /** True if the server closed the connection (end of stream or reset) within the socket timeout. */
    boolean closedByServer() throws IOException {
        try {
            socket.setSoTimeout(5_000);
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (EOFException | SocketException e) {
            return true;
        }
    }

    /** {@link #closedByServer()} read from the TCP socket itself, under a TLS layer that has failed. */
    boolean closedByServerBelowTls() throws IOException {
        try {
            socket.setSoTimeout(5_000);
            java.io.InputStream raw = socket.getInputStream();
            while (raw.read() >= 0) {
                // TLS records the failed layer left unread
            }
            return true;
        } catch (SocketTimeoutException e) {
            return false;
        } catch (SocketException e) {
            return true;
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
