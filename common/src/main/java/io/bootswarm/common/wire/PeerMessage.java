package io.bootswarm.common.wire;

/**
 * The peer wire messages of BEP 3 (plus BEP 10's extended message, BEP 5's port, which a stock
 * client may send, and BEP 6's have all, have none and reject request, used only on a connection where both
 * sides set the fast extension bit, {@link Handshake#supportsFast()}). Each record maps to one length-prefixed message on the wire.
 */
public sealed interface PeerMessage {

    /** A zero-length message that keeps an idle connection open. */
    record KeepAlive() implements PeerMessage {
    }

    /** id 0: the sender will not answer requests. */
    record Choke() implements PeerMessage {
    }

    /** id 1: the sender will answer requests. */
    record Unchoke() implements PeerMessage {
    }

    /** id 2: the sender wants pieces the receiver has. */
    record Interested() implements PeerMessage {
    }

    /** id 3. */
    record NotInterested() implements PeerMessage {
    }

    /** id 4: the sender now has {@code piece}, verified. */
    record Have(int piece) implements PeerMessage {
    }

    /** id 5: the pieces the sender has, sent right after the handshake (BEP 3 layout). */
    record Bitfield(byte[] bits) implements PeerMessage {
    }

    /** id 6: asks for {@code length} bytes of {@code piece} from offset {@code begin}. */
    record Request(int piece, int begin, int length) implements PeerMessage {
    }

    /** id 7: a block of a piece. */
    record Piece(int piece, int begin, byte[] block) implements PeerMessage {
    }

    /** id 8: withdraws a request. */
    record Cancel(int piece, int begin, int length) implements PeerMessage {
    }

    /** id 9 (BEP 5): the sender's DHT port. Accepted and ignored. */
    record Port(int port) implements PeerMessage {
    }

    /** id 20 (BEP 10): an extension message; {@code extendedId} 0 is the extended handshake. */
    record Extended(int extendedId, byte[] payload) implements PeerMessage {
    }

    /** id 14 (BEP 6): the sender has every piece, in place of a bitfield. */
    record HaveAll() implements PeerMessage {
    }

    /** id 15 (BEP 6): the sender has no piece, in place of a bitfield. */
    record HaveNone() implements PeerMessage {
    }

    /** id 16 (BEP 6): the sender will not answer the request for this block. */
    record RejectRequest(int piece, int begin, int length) implements PeerMessage {
    }

    KeepAlive KEEP_ALIVE = new KeepAlive();
    Choke CHOKE = new Choke();
    Unchoke UNCHOKE = new Unchoke();
    Interested INTERESTED = new Interested();
    NotInterested NOT_INTERESTED = new NotInterested();
    HaveAll HAVE_ALL = new HaveAll();
    HaveNone HAVE_NONE = new HaveNone();
}
