package io.bootswarm.fleet;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A minimal NBD client (fixed newstyle handshake, {@code NBD_OPT_GO}, simple replies, one request at
 * a time), written from the protocol's proto.md, for tests that check every byte a reader gets and
 * tell an error reply (what a guest sees as an I/O error) from a dropped connection.
 */
final class NbdSession implements Closeable {

    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int OPT_GO = 7;
    private static final int REP_ACK = 1;
    private static final int REP_INFO = 3;
    private static final int CMD_READ = 0;
    private static final int CMD_WRITE = 1;
    private static final int CMD_FLUSH = 3;

    /** The server answered a request with an error: what a guest would see as an I/O error. */
    static final class ErrorReply extends Exception {
        final int errno;

        ErrorReply(String what, int errno) {
            super(what + " answered with NBD error " + errno);
            this.errno = errno;
        }
    }

    private final Socket socket;
    private final DataInputStream in;
    private final DataOutputStream out;
    private final long size;
    private long cookie;

    private NbdSession(Socket socket, String export) throws IOException {
        this.socket = socket;
        in = new DataInputStream(new BufferedInputStream(socket.getInputStream(), 1 << 16));
        out = new DataOutputStream(new BufferedOutputStream(socket.getOutputStream(), 1 << 16));
        if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
            throw new IOException("not an NBD newstyle server");
        }
        in.readUnsignedShort();
        out.writeInt(3); // FIXED_NEWSTYLE | NO_ZEROES
        byte[] name = export.getBytes(StandardCharsets.UTF_8);
        out.writeLong(IHAVEOPT);
        out.writeInt(OPT_GO);
        out.writeInt(4 + name.length + 2);
        out.writeInt(name.length);
        out.write(name);
        out.writeShort(0);
        out.flush();
        long exportSize = -1;
        while (true) {
            if (in.readLong() != OPTION_REPLY_MAGIC) {
                throw new IOException("bad option reply magic");
            }
            in.readInt();
            int type = in.readInt();
            byte[] data = new byte[in.readInt()];
            in.readFully(data);
            if (type == REP_INFO) {
                ByteBuffer b = ByteBuffer.wrap(data);
                if (b.getShort() == 0) {
                    exportSize = b.getLong();
                }
            } else if (type == REP_ACK) {
                break;
            } else {
                throw new IOException("NBD_OPT_GO " + export + " refused: reply type 0x" + Integer.toHexString(type));
            }
        }
        if (exportSize < 0) {
            throw new IOException("no export size");
        }
        size = exportSize;
    }

    /** Connects to {@code host:port} and opens {@code export}; every later call waits at most {@code timeout}. */
    static NbdSession open(String host, int port, String export, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setSoTimeout((int) timeout.toMillis());
            s.setTcpNoDelay(true);
            return new NbdSession(s, export);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    long size() {
        return size;
    }

    byte[] read(long offset, int length) throws IOException, ErrorReply {
        request(CMD_READ, offset, length, null);
        byte[] data = new byte[length];
        reply("read at " + offset);
        in.readFully(data);
        return data;
    }

    void write(long offset, byte[] data) throws IOException, ErrorReply {
        request(CMD_WRITE, offset, data.length, data);
        reply("write at " + offset);
    }

    void flush() throws IOException, ErrorReply {
        request(CMD_FLUSH, 0, 0, null);
        reply("flush");
    }

    private void request(int type, long offset, int length, byte[] payload) throws IOException {
        out.writeInt(REQUEST_MAGIC);
        out.writeShort(0);
        out.writeShort(type);
        out.writeLong(++cookie);
        out.writeLong(offset);
        out.writeInt(length);
        if (payload != null) {
            out.write(payload);
        }
        out.flush();
    }

    private void reply(String what) throws IOException, ErrorReply {
        if (in.readInt() != SIMPLE_REPLY_MAGIC) {
            throw new IOException("bad reply magic to " + what);
        }
        int error = in.readInt();
        if (in.readLong() != cookie) {
            throw new IOException("reply to another request than " + what);
        }
        if (error != 0) {
            throw new ErrorReply(what, error);
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
