package io.bootswarm.common.wire;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.bootswarm.common.bencode.Bencode;

import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzz targets for the peer wire decoder (README "Fuzzing"). Every input must decode to messages
 * within the limits, or end in {@link WireProtocolException} or {@link EOFException}; anything
 * else escapes and is a finding. Regression inputs: {@code src/test/resources/<this class>Inputs/<method>/}.
 */
class PeerWireReaderFuzzTest {

    private static final int PIECES = 1000;
    private static final WireLimits LIMITS = WireLimits.forPieces(PIECES);

    /** The 68-byte handshake, then messages, as a peer sends them on a fresh connection. */
    @FuzzTest(maxDuration = "30s")
    void handshakeThenMessages(byte[] input) throws IOException {
        ByteArrayInputStream in = new ByteArrayInputStream(input);
        try {
            Handshake h = PeerWireReader.readHandshake(in);
            assertThat(h.reserved()).hasSize(8);
            assertThat(h.peerId()).hasSize(20);
            assertThat(h.swarmId()).isNotNull();
        } catch (WireProtocolException | EOFException expected) {
            return;
        }
        readAll(new PeerWireReader(in, LIMITS));
    }

    /** Messages after the handshake, with the first byte choosing the swarm's piece count. */
    @FuzzTest(maxDuration = "30s")
    void messages(byte[] input) throws IOException {
        if (input.length == 0) {
            return;
        }
        int pieces = 1 + (input[0] & 0xff) * 37;
        ByteArrayInputStream in = new ByteArrayInputStream(input, 1, input.length - 1);
        readAll(new PeerWireReader(in, WireLimits.forPieces(pieces)));
    }

    /**
     * A BEP 10 extended handshake (extended message id 0), read as the seed's server reads it: the
     * framed message, then its bencoded dictionary, then the keys we use ({@code p}, {@code reqq},
     * {@code urgent}, the access token). The input is the message payload after the extended id.
     */
    @FuzzTest(maxDuration = "30s")
    void extendedHandshake(byte[] payload) throws IOException {
        byte[] framed = new byte[6 + payload.length];
        int length = 2 + payload.length;
        framed[0] = (byte) (length >>> 24);
        framed[1] = (byte) (length >>> 16);
        framed[2] = (byte) (length >>> 8);
        framed[3] = (byte) length;
        framed[4] = 20;
        framed[5] = 0;
        System.arraycopy(payload, 0, framed, 6, payload.length);
        PeerMessage m;
        try {
            m = new PeerWireReader(new ByteArrayInputStream(framed), LIMITS).read();
        } catch (WireProtocolException tooLong) {
            assertThat(payload.length).isGreaterThan(LIMITS.maxExtendedLength());
            return;
        }
        assertThat(m).isInstanceOf(PeerMessage.Extended.class);
        PeerMessage.Extended e = (PeerMessage.Extended) m;
        assertThat(e.extendedId()).isZero();
        assertThat(e.payload()).isEqualTo(payload);
        Object decoded;
        try {
            decoded = Bencode.decode(e.payload());
        } catch (Bencode.BencodeException unreadable) {
            return; // an ordinary peer without a token
        }
        if (decoded instanceof Map<?, ?> dict) {
            // the lookups PeerWireServer and UploadConnection make; they must not throw
            Object p = dict.get("p");
            Object reqq = dict.get("reqq");
            Object urgent = dict.get("urgent");
            Object token = dict.get(PeerAccess.TOKEN_KEY);
            if (p instanceof Long port) {
                assertThat(port).isNotNull();
            }
            if (reqq instanceof Long q) {
                assertThat(q).isNotNull();
            }
            boolean claimsUrgent = Long.valueOf(1).equals(urgent);
            assertThat(claimsUrgent).isEqualTo(urgent instanceof Long u && u == 1);
            if (token instanceof byte[] b) {
                assertThat(b.length).isLessThanOrEqualTo(payload.length);
            }
            // what decodes re-encodes, and that encoding is stable
            byte[] again = Bencode.encode(dict);
            assertThat(Bencode.encode(Bencode.decode(again))).isEqualTo(again);
        }
    }

    private static void readAll(PeerWireReader reader) throws IOException {
        for (int i = 0; i < 10_000; i++) {
            PeerMessage m;
            try {
                m = reader.read();
            } catch (WireProtocolException | EOFException expected) {
                return;
            }
            check(m);
        }
    }

    private static void check(PeerMessage m) {
        switch (m) {
            case PeerMessage.Have h -> assertThat(h.piece()).isBetween(0, PIECES * 10_000);
            case PeerMessage.Request r -> assertThat(r.length()).isBetween(1, WireLimits.BLOCK_LENGTH);
            case PeerMessage.Cancel c -> assertThat(c.length()).isBetween(1, WireLimits.BLOCK_LENGTH);
            case PeerMessage.Piece p -> assertThat(p.block().length).isBetween(1, WireLimits.BLOCK_LENGTH);
            case PeerMessage.RejectRequest r -> assertThat(r.length()).isBetween(1, WireLimits.BLOCK_LENGTH);
            case PeerMessage.Extended e -> {
                assertThat(e.payload().length).isLessThanOrEqualTo(64 * 1024);
                if (e.extendedId() != 0) {
                    // read as an agent reads an lt_donthave (BEP 54): a piece of the swarm, or a protocol error
                    try {
                        assertThat(DontHave.piece(e.payload(), PIECES)).isBetween(0, PIECES - 1);
                    } catch (WireProtocolException expected) {
                        // not a piece index of this swarm
                    }
                    // and as an agent reads a bs_fetching: entries of pieces of the swarm, or a protocol error
                    try {
                        assertThat(Fetching.changes(e.payload(), PIECES)).hasSizeBetween(1, Fetching.MAX_ENTRIES)
                                .allSatisfy(c -> assertThat(c.piece()).isBetween(0, PIECES - 1));
                    } catch (WireProtocolException expected) {
                        // not a well-formed list of this swarm's pieces
                    }
                    // and as an agent reads a bs_referral: a piece of the swarm and 1 to 8 holders, or a protocol error
                    try {
                        Referral.Holders h = Referral.holders(e.payload(), PIECES);
                        assertThat(h.piece()).isBetween(0, PIECES - 1);
                        assertThat(h.holders()).hasSizeBetween(1, Referral.MAX_HOLDERS)
                                .allSatisfy(a -> assertThat(a.getPort()).isBetween(1, 65535));
                    } catch (WireProtocolException expected) {
                        // not a well-formed referral for this swarm
                    }
                }
            }
            case PeerMessage.Port p -> assertThat(p.port()).isBetween(0, 65535);
            default -> assertThat(m).isNotNull();
        }
    }
}
