package io.bootswarm.common.wire;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code bs_referral}: a BEP 10 extension message of ours by which a seed answers a request for a piece it
 * sent (or referred another agent for) a moment ago: "ask these agents instead". It comes with BEP 6
 * {@code reject request}s for the request's blocks, right before them. The receiver names the extended id it
 * wants the message under in the {@code m} dictionary of its extended handshake, as for {@link Fetching}. A
 * second request for the piece on the same connection is served, so a referral delays a fetch, never starves it.
 *
 * <p>The payload: the piece index (four bytes, big-endian), then one to {@value #MAX_HOLDERS} holders, each a
 * family byte ({@code 4} or {@code 6}), the address (4 or 16 bytes) and the listen port (two bytes, big-endian,
 * not 0). Anything else (a piece outside the swarm, no holder, too many, an unknown family, a truncated holder,
 * port 0, trailing bytes) is a protocol error.
 */
public final class Referral {

    /** The extension's name in the BEP 10 {@code m} dictionary. */
    public static final String NAME = "bs_referral";
    /** The most holders one message names. */
    public static final int MAX_HOLDERS = 8;

    /** {@code piece} is held, or soon, by {@code holders} (listen addresses), most recent first. */
    public record Holders(int piece, List<InetSocketAddress> holders) {
        public Holders {
            if (piece < 0) {
                throw new IllegalArgumentException("negative piece " + piece);
            }
            if (holders.isEmpty() || holders.size() > MAX_HOLDERS) {
                throw new IllegalArgumentException(NAME + " names 1 to " + MAX_HOLDERS + " holders, not "
                        + holders.size());
            }
            for (InetSocketAddress h : holders) {
                if (h.isUnresolved() || h.getPort() == 0) {
                    throw new IllegalArgumentException("holder " + h + " has no address or no port");
                }
            }
            holders = List.copyOf(holders);
        }
    }

    private Referral() {
    }

    /** The extended id the peer wants {@code bs_referral} under, from its extended handshake; 0 for none. */
    public static int idIn(Map<?, ?> extendedHandshake) {
        if (extendedHandshake.get("m") instanceof Map<?, ?> m && m.get(NAME) instanceof Long id
                && id > 0 && id < 256) {
            return id.intValue();
        }
        return 0;
    }

    /** The message carrying {@code holders} under the receiver's extended id {@code id}. */
    public static PeerMessage.Extended message(int id, Holders holders) {
        int length = 4;
        for (InetSocketAddress h : holders.holders()) {
            length += 3 + h.getAddress().getAddress().length;
        }
        byte[] payload = new byte[length];
        int i = putInt(payload, 0, holders.piece());
        for (InetSocketAddress h : holders.holders()) {
            byte[] address = h.getAddress().getAddress();
            payload[i++] = (byte) (address.length == 4 ? 4 : 6);
            System.arraycopy(address, 0, payload, i, address.length);
            i += address.length;
            payload[i++] = (byte) (h.getPort() >>> 8);
            payload[i++] = (byte) h.getPort();
        }
        return new PeerMessage.Extended(id, payload);
    }

    /**
     * The piece and holders of a {@code bs_referral} payload.
     *
     * @throws WireProtocolException if the payload is malformed (see the class comment)
     */
    public static Holders holders(byte[] payload, int pieceCount) throws WireProtocolException {
        if (payload.length < 4) {
            throw new WireProtocolException(NAME + " message with " + payload.length + " payload bytes");
        }
        int piece = (payload[0] & 0xff) << 24 | (payload[1] & 0xff) << 16 | (payload[2] & 0xff) << 8
                | (payload[3] & 0xff);
        if (piece < 0 || piece >= pieceCount) {
            throw new WireProtocolException(NAME + " for piece " + Integer.toUnsignedString(piece) + " outside [0, "
                    + pieceCount + ")");
        }
        List<InetSocketAddress> out = new ArrayList<>();
        int i = 4;
        while (i < payload.length) {
            if (out.size() == MAX_HOLDERS) {
                throw new WireProtocolException(NAME + " names more than " + MAX_HOLDERS + " holders");
            }
            int family = payload[i++];
            int length = family == 4 ? 4 : family == 6 ? 16 : -1;
            if (length < 0) {
                throw new WireProtocolException(NAME + " holder of unknown address family " + family);
            }
            if (payload.length - i < length + 2) {
                throw new WireProtocolException(NAME + " holder truncated");
            }
            byte[] address = new byte[length];
            System.arraycopy(payload, i, address, 0, length);
            i += length;
            int port = (payload[i] & 0xff) << 8 | (payload[i + 1] & 0xff);
            i += 2;
            if (port == 0) {
                throw new WireProtocolException(NAME + " holder with port 0");
            }
            try {
                out.add(new InetSocketAddress(InetAddress.getByAddress(address), port));
            } catch (UnknownHostException e) {
                throw new WireProtocolException(NAME + " holder address unreadable: " + e.getMessage());
            }
        }
        if (out.isEmpty()) {
            throw new WireProtocolException(NAME + " names no holder");
        }
        return new Holders(piece, out);
    }

    private static int putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
        return at + 4;
    }
}
