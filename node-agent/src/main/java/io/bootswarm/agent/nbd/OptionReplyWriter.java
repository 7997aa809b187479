package io.bootswarm.agent.nbd;

import static io.bootswarm.agent.nbd.NbdProtocol.MAX_STRING_LENGTH;
import static io.bootswarm.agent.nbd.NbdProtocol.OPTION_REPLY_MAGIC;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * What the server sends during the handshake: the greeting of "Fixed newstyle negotiation", the
 * reply to {@code NBD_OPT_EXPORT_NAME} and the option replies of "Option reply message" (magic,
 * option, reply type, length, data), collected in one buffer and {@link #flush flushed} after each
 * option, so a reply of several parts (the {@code NBD_REP_INFO}s before an {@code NBD_REP_ACK})
 * usually leaves in one write. Used by the connection's thread only.
 */
final class OptionReplyWriter {

    private static final int OUTPUT_SIZE = 16 * 1024;

    private final NbdTransport transport;
    private final ByteBuffer buf = ByteBuffer.allocateDirect(OUTPUT_SIZE);

    OptionReplyWriter(NbdTransport transport) {
        this.transport = transport;
    }

    /** Raw bytes in order (greeting, export-name reply); the caller keeps within the buffer. */
    ByteBuffer buffer() {
        return buf;
    }

    /** An error reply ({@code NBD_REP_ERR_*}) with an optional human-readable message as its data. */
    void error(int option, int type, String message) throws IOException {
        byte[] text = null;
        int length = 0;
        if (message != null) {
            text = message.getBytes(StandardCharsets.UTF_8);
            length = Math.min(text.length, MAX_STRING_LENGTH);
        }
        reply(option, type, text, length);
    }

    void reply(int option, int type, byte[] data, int length) throws IOException {
        if (buf.remaining() < 20 + length) {
            flush();
        }
        buf.putLong(OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt(length);
        if (length > 0) {
            buf.put(data, 0, length);
        }
    }

    /** Sends what was collected, over the transport's current stream (plain or TLS). */
    void flush() throws IOException {
        buf.flip();
        transport.writeFully(buf);
        buf.clear();
    }
}
