package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Decodes the peer wire protocol (BEP 3 framing: a 4-byte big-endian length, a 1-byte id, the
 * payload). Every length is checked against {@link WireLimits} before a byte is allocated; any
 * malformed message raises {@link WireProtocolException}. Unknown message ids are skipped, as
 * BEP 3 asks.
 */
public final class PeerWireReader {

    private static final byte[] PROTOCOL = Handshake.PROTOCOL.getBytes(StandardCharsets.US_ASCII);

    private final DataInputStream in;
    private final WireLimits limits;

    public PeerWireReader(InputStream in, WireLimits limits) {
        this.in = in instanceof DataInputStream d ? d : new DataInputStream(in);
        this.limits = limits;
    }

    /** Reads a handshake; the 68 bytes are fixed, so nothing is allocated from peer input. */
    public static Handshake readHandshake(InputStream input) throws IOException {
        DataInputStream in = input instanceof DataInputStream d ? d : new DataInputStream(input);
        int pstrlen = in.readUnsignedByte();
        if (pstrlen != PROTOCOL.length) {
            throw new WireProtocolException("handshake protocol string length " + pstrlen + ", expected 19");
        }
        byte[] pstr = new byte[PROTOCOL.length];
        in.readFully(pstr);
        if (!Arrays.equals(pstr, PROTOCOL)) {
            throw new WireProtocolException("handshake protocol is not 'BitTorrent protocol'");
        }
        byte[] reserved = new byte[8];
        in.readFully(reserved);
        byte[] infoHash = new byte[SwarmId.BYTES];
        in.readFully(infoHash);
        byte[] peerId = new byte[20];
        in.readFully(peerId);
        return new Handshake(reserved, SwarmId.of(infoHash), peerId);
    }

    /**
     * Reads the next message.
     *
     * @throws EOFException          when the peer closed the connection between messages
     * @throws WireProtocolException when the message is malformed or too long
     */
    public PeerMessage read() throws IOException {
        while (true) {
            int length = in.readInt();
            if (length < 0 || length > limits.maxMessageLength()) {
                throw new WireProtocolException("message length " + Integer.toUnsignedString(length)
                        + " exceeds limit " + limits.maxMessageLength());
            }
            if (length == 0) {
                return PeerMessage.KEEP_ALIVE;
            }
            int id = in.readUnsignedByte();
            int payload = length - 1;
            PeerMessage m = switch (id) {
                case 0 -> fixed(payload, 0, PeerMessage.CHOKE);
                case 1 -> fixed(payload, 0, PeerMessage.UNCHOKE);
                case 2 -> fixed(payload, 0, PeerMessage.INTERESTED);
                case 3 -> fixed(payload, 0, PeerMessage.NOT_INTERESTED);
                case 4 -> {
                    expect(payload, 4, "have");
                    yield new PeerMessage.Have(piece(in.readInt()));
                }
                case 5 -> bitfield(payload);
                case 6 -> {
                    expect(payload, 12, "request");
                    yield new PeerMessage.Request(piece(in.readInt()), in.readInt(), block(in.readInt()));
                }
                case 7 -> pieceMessage(payload);
                case 8 -> {
                    expect(payload, 12, "cancel");
                    yield new PeerMessage.Cancel(piece(in.readInt()), in.readInt(), block(in.readInt()));
                }
                case 9 -> {
                    expect(payload, 2, "port");
                    yield new PeerMessage.Port(in.readUnsignedShort());
                }
                case 14 -> fixed(payload, 0, PeerMessage.HAVE_ALL);
                case 15 -> fixed(payload, 0, PeerMessage.HAVE_NONE);
                case 16 -> {
                    expect(payload, 12, "reject request");
                    yield new PeerMessage.RejectRequest(piece(in.readInt()), in.readInt(), block(in.readInt()));
                }
                case 20 -> {
                    if (payload < 1 || payload - 1 > limits.maxExtendedLength()) {
                        throw new WireProtocolException("extended message of " + payload + " bytes");
                    }
                    int extendedId = in.readUnsignedByte();
                    byte[] body = new byte[payload - 1];
                    in.readFully(body);
                    yield new PeerMessage.Extended(extendedId, body);
                }
                default -> {
                    in.skipNBytes(payload);
                    yield null;
                }
            };
            if (m != null) {
                return m;
            }
        }
    }

    private PeerMessage fixed(int payload, int expected, PeerMessage m) throws WireProtocolException {
        expect(payload, expected, m.getClass().getSimpleName());
        return m;
    }

    private static void expect(int payload, int expected, String what) throws WireProtocolException {
        if (payload != expected) {
            throw new WireProtocolException(what + " message with " + payload + " payload bytes, expected " + expected);
        }
    }

    private PeerMessage bitfield(int payload) throws IOException {
        int expected = PieceSet.bitfieldLength(limits.pieceCount());
        expect(payload, expected, "bitfield");
        byte[] bits = new byte[payload];
        in.readFully(bits);
        try {
            PieceSet.fromBitfield(bits, limits.pieceCount());
        } catch (IllegalArgumentException e) {
            throw new WireProtocolException(String.valueOf(e.getMessage()));
        }
        return new PeerMessage.Bitfield(bits);
    }

    private PeerMessage pieceMessage(int payload) throws IOException {
        int blockLength = payload - 8;
        if (blockLength <= 0 || blockLength > limits.maxBlockLength()) {
            throw new WireProtocolException("piece message with a block of " + blockLength + " bytes");
        }
        int piece = piece(in.readInt());
        int begin = in.readInt();
        byte[] block = new byte[blockLength];
        in.readFully(block);
        return new PeerMessage.Piece(piece, begin, block);
    }

    private int piece(int index) throws WireProtocolException {
        if (index < 0 || index >= limits.pieceCount()) {
            throw new WireProtocolException("piece index " + index + " outside [0, " + limits.pieceCount() + ")");
        }
        return index;
    }

    private int block(int length) throws WireProtocolException {
        if (length <= 0 || length > limits.maxBlockLength()) {
            throw new WireProtocolException("block length " + length + " outside (0, " + limits.maxBlockLength() + "]");
        }
        return length;
    }
}
