package io.bootswarm.common.wire;

import java.util.Map;

/**
 * BEP 54 {@code lt_donthave}: a BEP 10 extension message by which a peer withdraws a piece it announced
 * (its host's cache evicted it). The receiver names the extended id it wants the message under in the
 * {@code m} dictionary of its extended handshake; the payload is the piece index, four bytes big-endian.
 * On receipt the piece is cleared from what the sender is known to have: it is asked of other sources.
 */
public final class DontHave {

    /** The extension's name in the BEP 10 {@code m} dictionary. */
    public static final String NAME = "lt_donthave";

    private DontHave() {
    }

    /** The extended id the peer wants {@code lt_donthave} under, from its extended handshake; 0 for none. */
    public static int idIn(Map<?, ?> extendedHandshake) {
        if (extendedHandshake.get("m") instanceof Map<?, ?> m && m.get(NAME) instanceof Long id
                && id > 0 && id < 256) {
            return id.intValue();
        }
        return 0;
    }

    /** The message for {@code piece} under the receiver's extended id {@code id}. */
    public static PeerMessage.Extended message(int id, int piece) {
        return new PeerMessage.Extended(id, new byte[]{
                (byte) (piece >>> 24), (byte) (piece >>> 16), (byte) (piece >>> 8), (byte) piece});
    }

    /**
     * The piece an {@code lt_donthave} payload names.
     *
     * @throws WireProtocolException if the payload is not four bytes or names no piece of the swarm
     */
    public static int piece(byte[] payload, int pieceCount) throws WireProtocolException {
        if (payload.length != 4) {
            throw new WireProtocolException(NAME + " message with " + payload.length + " payload bytes, expected 4");
        }
        int piece = (payload[0] & 0xff) << 24 | (payload[1] & 0xff) << 16 | (payload[2] & 0xff) << 8
                | (payload[3] & 0xff);
        if (piece < 0 || piece >= pieceCount) {
            throw new WireProtocolException(NAME + " for piece " + piece + " outside [0, " + pieceCount + ")");
        }
        return piece;
    }
}
