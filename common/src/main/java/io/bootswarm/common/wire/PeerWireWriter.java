package io.bootswarm.common.wire;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Encodes peer wire messages (BEP 3 framing). Not thread-safe: callers that write from several
 * threads hold one lock around {@code write...} and {@link #flush()}.
 */
public final class PeerWireWriter {

    private final DataOutputStream out;

    public PeerWireWriter(OutputStream out) {
        this.out = new DataOutputStream(new BufferedOutputStream(out, 64 * 1024));
    }

    public void writeHandshake(Handshake h) throws IOException {
        out.writeByte(19);
        out.write(Handshake.PROTOCOL.getBytes(StandardCharsets.US_ASCII));
        out.write(h.reserved());
        out.write(h.swarmId().toBytes());
        out.write(h.peerId());
    }

    public void write(PeerMessage m) throws IOException {
        switch (m) {
            case PeerMessage.KeepAlive k -> out.writeInt(0);
            case PeerMessage.Choke c -> simple(0);
            case PeerMessage.Unchoke u -> simple(1);
            case PeerMessage.Interested i -> simple(2);
            case PeerMessage.NotInterested n -> simple(3);
            case PeerMessage.Have h -> {
                out.writeInt(5);
                out.writeByte(4);
                out.writeInt(h.piece());
            }
            case PeerMessage.Bitfield b -> {
                out.writeInt(1 + b.bits().length);
                out.writeByte(5);
                out.write(b.bits());
            }
            case PeerMessage.Request r -> triple(6, r.piece(), r.begin(), r.length());
            case PeerMessage.Piece p -> writePiece(p.piece(), p.begin(), p.block(), 0, p.block().length);
            case PeerMessage.Cancel c -> triple(8, c.piece(), c.begin(), c.length());
            case PeerMessage.Port p -> {
                out.writeInt(3);
                out.writeByte(9);
                out.writeShort(p.port());
            }
            case PeerMessage.HaveAll a -> simple(14);
            case PeerMessage.HaveNone n -> simple(15);
            case PeerMessage.RejectRequest r -> triple(16, r.piece(), r.begin(), r.length());
            case PeerMessage.Extended e -> {
                out.writeInt(2 + e.payload().length);
                out.writeByte(20);
                out.writeByte(e.extendedId());
                out.write(e.payload());
            }
        }
    }

    /** Writes a piece message whose block is {@code block[offset, offset+length)}. */
    public void writePiece(int piece, int begin, byte[] block, int offset, int length) throws IOException {
        out.writeInt(9 + length);
        out.writeByte(7);
        out.writeInt(piece);
        out.writeInt(begin);
        out.write(block, offset, length);
    }

    public void flush() throws IOException {
        out.flush();
    }

    private void simple(int id) throws IOException {
        out.writeInt(1);
        out.writeByte(id);
    }

    private void triple(int id, int a, int b, int c) throws IOException {
        out.writeInt(13);
        out.writeByte(id);
        out.writeInt(a);
        out.writeInt(b);
        out.writeInt(c);
    }
}
