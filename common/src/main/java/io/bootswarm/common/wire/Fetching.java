package io.bootswarm.common.wire;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code bs_fetching}: a BEP 10 extension message of ours by which an agent tells its peers which pieces it is
 * fetching right now, so that a peer missing one of them can wait for the sender's copy instead of asking the
 * seed for another (demand coalescing). The receiver names the extended id it wants the message under in the
 * {@code m} dictionary of its extended handshake, as for BEP 54 {@code lt_donthave}.
 *
 * <p>The payload is one to {@value #MAX_ENTRIES} entries of four bytes, big-endian: the piece index in the low
 * 31 bits, the top bit clear for "fetching it now" and set for "no longer fetching it" (the fetch failed or was
 * given up). A {@code have} for the piece also ends its advertisement, so a fetch that succeeds costs no
 * second message. A piece appears at most once per message. Anything else (an empty payload, a length that is
 * not a multiple of four or above the cap, a piece outside the swarm, a piece twice) is a protocol error.
 */
public final class Fetching {

    /** The extension's name in the BEP 10 {@code m} dictionary. */
    public static final String NAME = "bs_fetching";
    /** The most entries one message carries. */
    public static final int MAX_ENTRIES = 64;
    private static final int ENDED = 0x8000_0000;

    /** One entry: {@code piece} is being fetched by the sender now ({@code fetching}), or no longer. */
    public record Change(int piece, boolean fetching) {
        public Change {
            if (piece < 0) {
                throw new IllegalArgumentException("negative piece " + piece);
            }
        }
    }

    private Fetching() {
    }

    /** The extended id the peer wants {@code bs_fetching} under, from its extended handshake; 0 for none. */
    public static int idIn(Map<?, ?> extendedHandshake) {
        if (extendedHandshake.get("m") instanceof Map<?, ?> m && m.get(NAME) instanceof Long id
                && id > 0 && id < 256) {
            return id.intValue();
        }
        return 0;
    }

    /**
     * The message carrying {@code changes} under the receiver's extended id {@code id}.
     *
     * @throws IllegalArgumentException if there are none or more than {@value #MAX_ENTRIES}
     */
    public static PeerMessage.Extended message(int id, List<Change> changes) {
        if (changes.isEmpty() || changes.size() > MAX_ENTRIES) {
            throw new IllegalArgumentException(NAME + " carries 1 to " + MAX_ENTRIES + " entries, not "
                    + changes.size());
        }
        byte[] payload = new byte[changes.size() * 4];
        int i = 0;
        for (Change c : changes) {
            int v = c.fetching() ? c.piece() : c.piece() | ENDED;
            payload[i++] = (byte) (v >>> 24);
            payload[i++] = (byte) (v >>> 16);
            payload[i++] = (byte) (v >>> 8);
            payload[i++] = (byte) v;
        }
        return new PeerMessage.Extended(id, payload);
    }

    /**
     * The entries of a {@code bs_fetching} payload, in order.
     *
     * @throws WireProtocolException if the payload is malformed (see the class comment)
     */
    public static List<Change> changes(byte[] payload, int pieceCount) throws WireProtocolException {
        if (payload.length == 0 || payload.length % 4 != 0 || payload.length > MAX_ENTRIES * 4) {
            throw new WireProtocolException(NAME + " message with " + payload.length
                    + " payload bytes, expected a multiple of 4 from 4 to " + MAX_ENTRIES * 4);
        }
        List<Change> out = new ArrayList<>(payload.length / 4);
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < payload.length; i += 4) {
            int v = (payload[i] & 0xff) << 24 | (payload[i + 1] & 0xff) << 16 | (payload[i + 2] & 0xff) << 8
                    | (payload[i + 3] & 0xff);
            int piece = v & ~ENDED;
            if (piece >= pieceCount) {
                throw new WireProtocolException(NAME + " for piece " + piece + " outside [0, " + pieceCount + ")");
            }
            if (!seen.add(piece)) {
                throw new WireProtocolException(NAME + " names piece " + piece + " twice");
            }
            out.add(new Change(piece, (v & ENDED) == 0));
        }
        return out;
    }
}
