package io.bootswarm.common.wire;

import io.bootswarm.common.manifest.SwarmId;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerWireCodecTest {

    /** 100 pieces: a 13-byte bitfield with 4 spare bits. */
    private static final WireLimits LIMITS = WireLimits.forPieces(100);

    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static byte[] encode(PeerMessage m) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        w.write(m);
        w.flush();
        return bytes.toByteArray();
    }

    private static PeerMessage decode(byte[] bytes) throws IOException {
        return new PeerWireReader(new ByteArrayInputStream(bytes), LIMITS).read();
    }

    /** Builds a frame: the 4-byte length prefix, then the given bytes (id and payload). */
    private static byte[] frame(int length, int... rest) {
        ByteBuffer b = ByteBuffer.allocate(4 + rest.length).putInt(length);
        for (int v : rest) {
            b.put((byte) v);
        }
        return b.array();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    @Test
    void writerProducesBep3Bytes() throws IOException {
        assertThat(encode(PeerMessage.KEEP_ALIVE)).isEqualTo(hex("00000000"));
        assertThat(encode(PeerMessage.CHOKE)).isEqualTo(hex("00000001 00"));
        assertThat(encode(PeerMessage.UNCHOKE)).isEqualTo(hex("00000001 01"));
        assertThat(encode(PeerMessage.INTERESTED)).isEqualTo(hex("00000001 02"));
        assertThat(encode(PeerMessage.NOT_INTERESTED)).isEqualTo(hex("00000001 03"));
        assertThat(encode(new PeerMessage.Have(0x01020304))).isEqualTo(hex("00000005 04 01020304"));
        assertThat(encode(new PeerMessage.Bitfield(hex("f00f")))).isEqualTo(hex("00000003 05 f00f"));
        assertThat(encode(new PeerMessage.Request(7, 16384, 16384)))
                .isEqualTo(hex("0000000d 06 00000007 00004000 00004000"));
        assertThat(encode(new PeerMessage.Piece(7, 32768, hex("aabbcc"))))
                .isEqualTo(hex("0000000c 07 00000007 00008000 aabbcc"));
        assertThat(encode(new PeerMessage.Cancel(1, 2, 3))).isEqualTo(hex("0000000d 08 00000001 00000002 00000003"));
        assertThat(encode(new PeerMessage.Port(6881))).isEqualTo(hex("00000003 09 1ae1"));
        assertThat(encode(new PeerMessage.Extended(0, hex("6465")))).isEqualTo(hex("00000004 14 00 6465"));
        // BEP 6 (fast extension) and BEP 54 (lt_donthave under the receiver's id 3)
        assertThat(encode(PeerMessage.HAVE_ALL)).isEqualTo(hex("00000001 0e"));
        assertThat(encode(PeerMessage.HAVE_NONE)).isEqualTo(hex("00000001 0f"));
        assertThat(encode(new PeerMessage.RejectRequest(1, 16384, 3)))
                .isEqualTo(hex("0000000d 10 00000001 00004000 00000003"));
        assertThat(encode(DontHave.message(3, 0x01020304))).isEqualTo(hex("00000006 14 03 01020304"));
    }

    @Test
    void writePieceTakesASliceOfTheBuffer() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        w.writePiece(3, 16, hex("00112233445566"), 2, 3);
        w.flush();
        assertThat(bytes.toByteArray()).isEqualTo(hex("0000000c 07 00000003 00000010 223344"));
    }

    @Test
    void everyMessageTypeRoundTrips() throws IOException {
        byte[] bits = new byte[13];
        bits[0] = (byte) 0x80;
        bits[12] = (byte) 0xf0; // pieces 96..99, the last real ones
        byte[] block = new byte[WireLimits.BLOCK_LENGTH];
        for (int i = 0; i < block.length; i++) {
            block[i] = (byte) (i * 31);
        }
        List<PeerMessage> messages = List.of(
                PeerMessage.KEEP_ALIVE, PeerMessage.CHOKE, PeerMessage.UNCHOKE, PeerMessage.INTERESTED,
                PeerMessage.NOT_INTERESTED, new PeerMessage.Have(99), new PeerMessage.Have(0),
                new PeerMessage.Bitfield(bits), new PeerMessage.Request(5, 16384, 16384),
                new PeerMessage.Request(99, 0, 1), new PeerMessage.Piece(42, 16384, block),
                new PeerMessage.Piece(0, 0, new byte[]{9}), new PeerMessage.Cancel(5, 16384, 16384),
                new PeerMessage.Port(65535), new PeerMessage.Extended(0, "d1:md6:ut_pexi1eee".getBytes()),
                new PeerMessage.Extended(255, new byte[0]), new PeerMessage.Extended(3, new byte[64 * 1024]),
                PeerMessage.HAVE_ALL, PeerMessage.HAVE_NONE, new PeerMessage.RejectRequest(99, 16384, 16384));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        for (PeerMessage m : messages) {
            w.write(m);
        }
        w.flush();
        PeerWireReader r = new PeerWireReader(new ByteArrayInputStream(bytes.toByteArray()), LIMITS);
        for (PeerMessage expected : messages) {
            PeerMessage got = r.read();
            assertThat(got.getClass()).isEqualTo(expected.getClass());
            switch (expected) {
                case PeerMessage.Bitfield b -> assertThat(((PeerMessage.Bitfield) got).bits()).isEqualTo(b.bits());
                case PeerMessage.Piece p -> {
                    PeerMessage.Piece gp = (PeerMessage.Piece) got;
                    assertThat(gp.piece()).isEqualTo(p.piece());
                    assertThat(gp.begin()).isEqualTo(p.begin());
                    assertThat(gp.block()).isEqualTo(p.block());
                }
                case PeerMessage.Extended e -> {
                    PeerMessage.Extended ge = (PeerMessage.Extended) got;
                    assertThat(ge.extendedId()).isEqualTo(e.extendedId());
                    assertThat(ge.payload()).isEqualTo(e.payload());
                }
                default -> assertThat(got).isEqualTo(expected);
            }
        }
        assertThatThrownBy(r::read).isInstanceOf(EOFException.class);
    }

    @Test
    void handshakeRoundTripsInExactly68Bytes() throws IOException {
        byte[] infoHash = hex("0123456789abcdef0123456789abcdef01234567");
        byte[] peerId = "-BS0001-abcdefghijkl".getBytes(StandardCharsets.US_ASCII);
        Handshake h = new Handshake(Handshake.ourReserved(), SwarmId.of(infoHash), peerId);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        w.writeHandshake(h);
        w.flush();
        byte[] wire = bytes.toByteArray();
        assertThat(wire).hasSize(Handshake.LENGTH).hasSize(68);
        assertThat(wire[0]).isEqualTo((byte) 19);
        assertThat(new String(wire, 1, 19, StandardCharsets.US_ASCII)).isEqualTo("BitTorrent protocol");
        assertThat(java.util.Arrays.copyOfRange(wire, 20, 28)).isEqualTo(hex("0000000000100000"));
        assertThat(java.util.Arrays.copyOfRange(wire, 28, 48)).isEqualTo(infoHash);
        assertThat(java.util.Arrays.copyOfRange(wire, 48, 68)).isEqualTo(peerId);

        Handshake back = PeerWireReader.readHandshake(new ByteArrayInputStream(wire));
        assertThat(back).isEqualTo(h);
        assertThat(back.supportsExtensions()).isTrue();
        assertThat(new Handshake(new byte[8], h.swarmId(), peerId).supportsExtensions()).isFalse();
    }

    @Test
    void badHandshakesAreRejected() throws IOException {
        Handshake h = new Handshake(new byte[8], SwarmId.of(new byte[20]), new byte[20]);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        w.writeHandshake(h);
        w.flush();
        byte[] good = bytes.toByteArray();
        for (int pstrlen : new int[]{0, 18, 20, 255}) {
            byte[] bad = good.clone();
            bad[0] = (byte) pstrlen;
            assertThatThrownBy(() -> PeerWireReader.readHandshake(new ByteArrayInputStream(bad)))
                    .isInstanceOf(WireProtocolException.class);
        }
        byte[] bad = good.clone();
        bad[19] = 'L';
        assertThatThrownBy(() -> PeerWireReader.readHandshake(new ByteArrayInputStream(bad)))
                .isInstanceOf(WireProtocolException.class);
        // an HTTP request sent to the peer port
        assertThatThrownBy(() -> PeerWireReader.readHandshake(new ByteArrayInputStream(
                "GET / HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3).getBytes()))).isInstanceOf(WireProtocolException.class);
        assertThatThrownBy(() -> PeerWireReader.readHandshake(new ByteArrayInputStream(java.util.Arrays.copyOf(good, 67))))
                .isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> new Handshake(new byte[7], h.swarmId(), new byte[20]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Handshake(new byte[8], h.swarmId(), new byte[21]))
                .isInstanceOf(IllegalArgumentException.class);
    }

    /** An input that counts what the reader took from it. */
    private static final class CountingInput extends ByteArrayInputStream {
        CountingInput(byte[] b) {
            super(b);
        }

        int consumed() {
            return pos;
        }
    }

    /**
     * {@code input} holds a message header and at most the fixed fields the reader must see to
     * judge it, never a payload: a reader that allocated or read the payload before checking would
     * hit the end (EOFException) instead of raising WireProtocolException, and its allocation
     * would show in the thread's allocation counter.
     */
    private static void assertRejectedBeforeAllocating(String why, byte[] input, WireLimits limits) {
        // the first run links the reader's code paths (string concatenation, class init), which
        // allocates; the second run is measured
        for (int run = 0; run < 2; run++) {
            CountingInput in = new CountingInput(input);
            PeerWireReader reader = new PeerWireReader(in, limits);
            long before = THREADS.getCurrentThreadAllocatedBytes();
            Throwable thrown = null;
            try {
                reader.read();
            } catch (Throwable t) {
                thrown = t;
            }
            long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
            assertThat(thrown).as(why).isInstanceOf(WireProtocolException.class);
            assertThat(in.consumed()).as(why + ": bytes read").isLessThanOrEqualTo(input.length);
            if (run == 1) {
                assertThat(allocated).as(why + ": bytes allocated while rejecting").isLessThan(8 * 1024);
            }
        }
    }

    private static void assertRejectedBeforeAllocating(String why, byte[] input) {
        assertRejectedBeforeAllocating(why, input, LIMITS);
    }

    @Test
    void malformedMessagesAreRejectedBeforeAllocating() {
        assertRejectedBeforeAllocating("length 0x7fffffff", frame(0x7fffffff, 7));
        assertRejectedBeforeAllocating("length 0x7fffffff, extended", frame(0x7fffffff, 20));
        assertRejectedBeforeAllocating("length 0x7fffffff, unknown id", frame(0x7fffffff, 99));
        assertRejectedBeforeAllocating("negative length", frame(0x80000000, 7));
        assertRejectedBeforeAllocating("length -1", frame(-1, 5));
        assertRejectedBeforeAllocating("one past the largest message", frame(LIMITS.maxMessageLength() + 1, 20));

        for (int id = 0; id <= 3; id++) {
            assertRejectedBeforeAllocating("id " + id + " with a payload", frame(2, id, 0));
            assertRejectedBeforeAllocating("id " + id + " with a 16 KiB payload", frame(16385, id));
        }
        assertRejectedBeforeAllocating("have of 3 bytes", frame(4, 4, 0, 0, 0));
        assertRejectedBeforeAllocating("have of 5 bytes", frame(6, 4));
        assertRejectedBeforeAllocating("have without payload", frame(1, 4));
        assertRejectedBeforeAllocating("request of 11 bytes", frame(12, 6));
        assertRejectedBeforeAllocating("request of 13 bytes", frame(14, 6));
        assertRejectedBeforeAllocating("cancel of 11 bytes", frame(12, 8));
        assertRejectedBeforeAllocating("cancel of 16 KiB", frame(16385, 8));
        assertRejectedBeforeAllocating("port of 3 bytes", frame(4, 9));

        assertRejectedBeforeAllocating("bitfield one byte short", frame(13, 5));
        assertRejectedBeforeAllocating("bitfield one byte long", frame(15, 5));
        assertRejectedBeforeAllocating("bitfield of 60 KiB", frame(60 * 1024, 5));
        assertRejectedBeforeAllocating("empty bitfield", frame(1, 5));

        assertRejectedBeforeAllocating("have of piece 100 of 100", frame(5, 4, 0, 0, 0, 100));
        assertRejectedBeforeAllocating("have of piece -1", frame(5, 4, 0xff, 0xff, 0xff, 0xff));
        assertRejectedBeforeAllocating("request of piece 100", frame(13, 6, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0x40, 0));
        assertRejectedBeforeAllocating("request of piece MIN", frame(13, 6, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0));
        assertRejectedBeforeAllocating("cancel of piece 100", frame(13, 8, 0, 0, 0, 100, 0, 0, 0, 0, 0, 0, 0x40, 0));
        assertRejectedBeforeAllocating("piece of piece 100", frame(9 + 16384, 7, 0, 0, 0, 100, 0, 0, 0, 0));

        assertRejectedBeforeAllocating("request of 0 bytes", frame(13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0));
        assertRejectedBeforeAllocating("request of 16 KiB + 1", frame(13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x40, 1));
        assertRejectedBeforeAllocating("request of -1 bytes", frame(13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff));
        assertRejectedBeforeAllocating("request of 2 GB", frame(13, 6, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff));
        assertRejectedBeforeAllocating("cancel of 0 bytes", frame(13, 8, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0));
        assertRejectedBeforeAllocating("piece with an empty block", frame(9, 7));
        assertRejectedBeforeAllocating("piece with no header", frame(5, 7));
        assertRejectedBeforeAllocating("piece without payload", frame(1, 7));
        assertRejectedBeforeAllocating("piece with a 16 KiB + 1 block", frame(9 + 16385, 7));
        assertRejectedBeforeAllocating("piece with a 60 KiB block", frame(9 + 60 * 1024, 7));

        assertRejectedBeforeAllocating("extended without its id", frame(1, 20));
        assertRejectedBeforeAllocating("extended of 64 KiB + 1", frame(2 + 64 * 1024 + 1, 20));
        WireLimits small = new WireLimits(100, WireLimits.BLOCK_LENGTH, 100);
        assertRejectedBeforeAllocating("extended over a small limit", frame(2 + 101, 20), small);
    }

    @Test
    void bitfieldWithASpareBitSetIsRejected() {
        byte[] bits = new byte[13];
        for (int spare = 100; spare < 104; spare++) {
            bits[12] = (byte) (0x80 >>> (spare - 96));
            byte[] input = concat(frame(14, 5), bits);
            assertThatThrownBy(() -> decode(input)).isInstanceOf(WireProtocolException.class);
        }
        bits[12] = (byte) 0xf0;
        assertThat(((PeerMessageHolder) () -> decode(concat(frame(14, 5), bits))).get())
                .isInstanceOf(PeerMessage.Bitfield.class);
    }

    private interface PeerMessageHolder {
        PeerMessage call() throws IOException;

        default PeerMessage get() {
            try {
                return call();
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void limitsBoundTheLargestMessage() {
        assertThat(WireLimits.forPieces(100).maxMessageLength()).isEqualTo(2 + 64 * 1024);
        assertThat(new WireLimits(100, 16384, 0).maxMessageLength()).isEqualTo(9 + 16384);
        assertThat(new WireLimits(1_000_000, 16384, 0).maxMessageLength()).isEqualTo(1 + 125_000);
        assertThat(new WireLimits(0, 0, 0).maxMessageLength()).isEqualTo(13);
    }

    @Test
    void unknownIdsAreSkipped() throws IOException {
        byte[] input = concat(
                frame(5, 13, 0, 0, 0, 1),          // BEP 6 suggest piece
                frame(5, 17, 0, 0, 0, 1),          // BEP 6 allowed fast
                frame(1 + 1000, 99), new byte[1000],
                frame(1, 255),
                frame(5, 4, 0, 0, 0, 42),          // have 42
                frame(5, 21, 1, 2, 3, 4),
                frame(0));
        PeerWireReader r = new PeerWireReader(new ByteArrayInputStream(input), LIMITS);
        assertThat(r.read()).isEqualTo(new PeerMessage.Have(42));
        assertThat(r.read()).isEqualTo(PeerMessage.KEEP_ALIVE);
        assertThatThrownBy(r::read).isInstanceOf(EOFException.class);
    }

    @Test
    void truncatedMessagesEndWithEof() {
        assertThatThrownBy(() -> decode(new byte[]{0, 0})).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> decode(frame(5, 4, 0, 0))).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> decode(frame(9 + 100, 7, 0, 0, 0, 1, 0, 0, 0, 0, 1, 2, 3))).isInstanceOf(EOFException.class);
        assertThatThrownBy(() -> decode(frame(1000, 99, 1, 2))).isInstanceOf(EOFException.class);
    }

    @Test
    void readerWorksOnAStreamThatDeliversOneByteAtATime() throws IOException {
        byte[] block = new byte[16384];
        new java.util.Random(3).nextBytes(block);
        byte[] input = concat(encode(new PeerMessage.Piece(1, 0, block)), encode(new PeerMessage.Have(2)));
        InputStream slow = new InputStream() {
            int pos;

            @Override
            public int read() {
                return pos < input.length ? input[pos++] & 0xff : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= input.length) {
                    return -1;
                }
                b[off] = input[pos++];
                return 1;
            }
        };
        PeerWireReader r = new PeerWireReader(slow, LIMITS);
        List<PeerMessage> got = new ArrayList<>();
        got.add(r.read());
        got.add(r.read());
        assertThat(((PeerMessage.Piece) got.get(0)).block()).isEqualTo(block);
        assertThat(got.get(1)).isEqualTo(new PeerMessage.Have(2));
    }
}
