package io.bootswarm.fleet;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * One read from an NBD export over TCP, with the plainest client: fixed newstyle handshake,
 * {@code NBD_OPT_EXPORT_NAME}, one {@code NBD_CMD_READ}, {@code NBD_CMD_DISC}. For telling when an
 * agent serves an export again, not for moving data.
 */
final class NbdProbe {

    private static final long NBDMAGIC = 0x4e42444d41474943L;
    private static final long IHAVEOPT = 0x49484156454F5054L;
    private static final int OPT_EXPORT_NAME = 1;
    private static final int REQUEST_MAGIC = 0x25609513;
    private static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    private static final int FLAG_FIXED_NEWSTYLE = 1;
    private static final int FLAG_NO_ZEROES = 2;

    private NbdProbe() {
    }

    /**
     * The {@code length} bytes at {@code offset} of {@code export} on {@code 127.0.0.1:port}, or empty
     * if nothing listens there, the export is unknown, or the read fails.
     */
    static Optional<byte[]> read(int port, String export, long offset, int length) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
            s.setSoTimeout(5000);
            s.setTcpNoDelay(true);
            DataInputStream in = new DataInputStream(s.getInputStream());
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            if (in.readLong() != NBDMAGIC || in.readLong() != IHAVEOPT) {
                return Optional.empty();
            }
            int serverFlags = in.readUnsignedShort();
            boolean noZeroes = (serverFlags & FLAG_NO_ZEROES) != 0;
            out.writeInt(FLAG_FIXED_NEWSTYLE | (noZeroes ? FLAG_NO_ZEROES : 0));
            byte[] name = export.getBytes(StandardCharsets.UTF_8);
            out.writeLong(IHAVEOPT);
            out.writeInt(OPT_EXPORT_NAME);
            out.writeInt(name.length);
            out.write(name);
            out.flush();
            in.readLong(); // export size
            in.readUnsignedShort(); // transmission flags
            if (!noZeroes) {
                in.skipNBytes(124);
            }
            out.writeInt(REQUEST_MAGIC);
            out.writeShort(0);
            out.writeShort(0); // NBD_CMD_READ
            out.writeLong(1);
            out.writeLong(offset);
            out.writeInt(length);
            out.flush();
            if (in.readInt() != SIMPLE_REPLY_MAGIC || in.readInt() != 0 || in.readLong() != 1) {
                return Optional.empty();
            }
            byte[] data = in.readNBytes(length);
            out.writeInt(REQUEST_MAGIC);
            out.writeShort(0);
            out.writeShort(2); // NBD_CMD_DISC
            out.writeLong(2);
            out.writeLong(0);
            out.writeInt(0);
            out.flush();
            return data.length == length ? Optional.of(data) : Optional.empty();
        } catch (IOException e) {
            return Optional.empty();
        }
    }
}
