package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.time.MonotonicClock;
import org.jspecify.annotations.Nullable;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.InstantSource;
import java.util.Map;

/**
 * What a peer sent between its handshake and its BEP 10 extended handshake, which carries its access
 * token ({@value PeerAccess#TOKEN_KEY}).
 *
 * @param handshake  its extended handshake dictionary (null if unreadable)
 * @param token      the access token in it, or null
 * @param interested whether it declared interest meanwhile
 */
record Preamble(@Nullable Map<?, ?> handshake, byte @Nullable [] token, boolean interested) {

    /** A peer without BEP 10: no handshake, no token. */
    static final Preamble NONE = new Preamble(null, null, false);

    /** Messages a peer may send before its extended handshake (a bitfield, haves, interest). */
    private static final int MAX_MESSAGES = 64;

    /**
     * Reads up to the peer's extended handshake, until {@code deadline} (nanoseconds of {@code clock}, see
     * {@link MonotonicClock#nanos}): the deadline of the whole handshake, counted from the accept, so that
     * bytes trickling in do not extend it. A read blocked at the deadline is ended by the server's sweeper,
     * which closes the socket; a read timing out on the socket's own timeout counts as late too. Requests
     * meanwhile are dropped (the peer is choked, BEP 3); a piece is a protocol error.
     *
     * @return null when the peer sent no extended handshake in time
     */
    static @Nullable Preamble read(PeerWireReader reader, long deadline, InstantSource clock)
            throws IOException {
        boolean interested = false;
        for (int i = 0; i < MAX_MESSAGES; i++) {
            if (deadline - MonotonicClock.nanos(clock) <= 0) {
                return null;
            }
            PeerMessage m;
            try {
                m = reader.read();
            } catch (SocketTimeoutException e) {
                return null;
            }
            switch (m) {
                case PeerMessage.Extended e when e.extendedId() == 0 -> {
                    Map<?, ?> dict = null;
                    try {
                        dict = Bencode.decode(e.payload()) instanceof Map<?, ?> d ? d : null;
                    } catch (IllegalArgumentException ignored) {
                        // unreadable: an ordinary peer without a token
                    }
                    byte[] token = dict != null && dict.get(PeerAccess.TOKEN_KEY) instanceof byte[] b ? b : null;
                    return new Preamble(dict, token, interested);
                }
                case PeerMessage.Interested in -> interested = true;
                case PeerMessage.NotInterested n -> interested = false;
                case PeerMessage.Piece p -> throw new WireProtocolException("unrequested piece message");
                default -> {
                    // bitfield, have, keep-alive, requests (dropped: the peer is choked)
                }
            }
        }
        throw new WireProtocolException("no extended handshake within " + MAX_MESSAGES + " messages");
    }
}
