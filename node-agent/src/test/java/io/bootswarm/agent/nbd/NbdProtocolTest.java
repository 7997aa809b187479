package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bootswarm.agent.nbd.RawNbdClient.OptionReply;
import io.bootswarm.agent.nbd.RawNbdClient.Reply;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The protocol on the wire, byte by byte, with a raw socket client: handshake, option haggling,
 * every request type and its errors, concurrency within a connection, limits and shutdown.
 * Needs no external tool (those are in {@link NbdServerIT}).
 */
class NbdProtocolTest {

    // Constants written out again from proto.md, not taken from NbdProtocol, so a wrong constant
    // there fails here.
    static final int OPT_EXPORT_NAME = 1, OPT_ABORT = 2, OPT_LIST = 3, OPT_STARTTLS = 5, OPT_INFO = 6,
            OPT_GO = 7, OPT_STRUCTURED_REPLY = 8, OPT_LIST_META_CONTEXT = 9, OPT_SET_META_CONTEXT = 10,
            OPT_EXTENDED_HEADERS = 11;
    static final int REP_ACK = 1, REP_SERVER = 2, REP_INFO = 3;
    static final int REP_ERR_UNSUP = 0x80000001, REP_ERR_INVALID = 0x80000003, REP_ERR_UNKNOWN = 0x80000006,
            REP_ERR_TOO_BIG = 0x80000009;
    static final int INFO_EXPORT = 0, INFO_NAME = 1, INFO_BLOCK_SIZE = 3;
    static final int CMD_READ = 0, CMD_WRITE = 1, CMD_DISC = 2, CMD_FLUSH = 3, CMD_TRIM = 4, CMD_CACHE = 5,
            CMD_WRITE_ZEROES = 6, CMD_BLOCK_STATUS = 7;
    static final int FLAG_FUA = 1, FLAG_NO_HOLE = 2, FLAG_DF = 4, FLAG_FAST_ZERO = 16;
    static final int EIO = 5, EINVAL = 22, ENOSPC = 28, ENOTSUP = 95;
    /**
     * HAS_FLAGS(0) SEND_FLUSH(2) SEND_FUA(3) SEND_TRIM(5) SEND_WRITE_ZEROES(6) CAN_MULTI_CONN(8)
     * SEND_CACHE(10) SEND_FAST_ZERO(11).
     */
    static final int EXPECTED_TRANSMISSION_FLAGS = 1 | 4 | 8 | 32 | 64 | 256 | 1024 | 2048;

    static final int SIZE = 4 << 20;

    byte[] image;
    MemoryBlockDevice memory;
    RecordingDevice disk;
    ExportRegistry exports;
    NbdServer server;
    SimpleMeterRegistry meters;

    @BeforeEach
    void setUp() throws IOException {
        image = new byte[SIZE];
        new Random(42).nextBytes(image);
        memory = new MemoryBlockDevice(image.clone());
        disk = new RecordingDevice(memory);
        exports = new ExportRegistry();
        exports.put("disk", disk);
        meters = new SimpleMeterRegistry();
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports, meters).start();
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    RawNbdClient connect() throws IOException {
        return new RawNbdClient(server.tcpPort());
    }

    RawNbdClient transmission(String export) throws IOException {
        RawNbdClient c = connect().start();
        assertThat(c.go(export)).isEqualTo(exports.find(export).orElseThrow().size());
        return c;
    }

    // --- handshake ---------------------------------------------------------------------------

    @Test
    void greetingIsFixedNewstyleWithNoZeroes() throws IOException {
        try (RawNbdClient c = connect()) {
            assertThat(c.greeting()).isEqualTo(0b11);
        }
    }

    @Test
    void unknownClientFlagsCloseTheConnection() throws IOException {
        try (RawNbdClient c = connect()) {
            c.greeting();
            c.clientFlags(0b111);
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.stats().protocolViolations()).isEqualTo(1);
    }

    @Test
    void badOptionMagicClosesTheConnection() throws IOException {
        try (RawNbdClient c = connect().start()) {
            c.out.writeLong(0x1122334455667788L);
            c.out.writeInt(OPT_LIST);
            c.out.writeInt(0);
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void unsupportedAndUnknownOptionsGetErrUnsupAndTheSessionContinues() throws IOException {
        try (RawNbdClient c = connect().start()) {
            for (int option : new int[] {OPT_STARTTLS, OPT_EXTENDED_HEADERS, 4, 0x1234, -1}) {
                c.option(option, new byte[] {1, 2, 3, 4, 5});
                OptionReply r = c.optionReply();
                assertThat(r.option()).isEqualTo(option);
                assertThat(r.type()).as("reply to option %d", option).isEqualTo(REP_ERR_UNSUP);
            }
            // NBD_OPT_STRUCTURED_REPLY "MUST NOT send any additional data"
            c.option(OPT_STRUCTURED_REPLY, new byte[] {1, 2, 3, 4, 5});
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            // meta contexts before structured replies: NBD_REP_ERR_INVALID
            byte[] meta = ByteBuffer.allocate(4 + 4 + 4 + 4 + 15).putInt(4).put("disk".getBytes())
                    .putInt(1).putInt(15).put("base:allocation".getBytes()).array();
            for (int option : new int[] {OPT_LIST_META_CONTEXT, OPT_SET_META_CONTEXT}) {
                c.option(option, meta);
                assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            }
            // still negotiating: NBD_OPT_GO works
            assertThat(c.go("disk")).isEqualTo(SIZE);
        }
    }

    @Test
    void oversizeOptionDataIsRefusedWithTooBigThenHungUpBeyondTheDiscardLimit() throws IOException {
        try (RawNbdClient c = connect().start()) {
            c.option(OPT_INFO, new byte[NbdHandshake.MAX_OPTION_DATA + 1]);
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_TOO_BIG);
            assertThat(c.go("disk")).isEqualTo(SIZE);
        }
        try (RawNbdClient c = connect().start()) {
            c.out.writeLong(RawNbdClient.IHAVEOPT);
            c.out.writeInt(OPT_GO);
            c.out.writeInt(Integer.MAX_VALUE); // 2 GiB of option data announced
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void listReportsEveryExportThenAck() throws IOException {
        exports.put("other", new MemoryBlockDevice(512));
        exports.put("ünïcode-name", new MemoryBlockDevice(512));
        try (RawNbdClient c = connect().start()) {
            c.option(OPT_LIST, new byte[0]);
            Set<String> names = new HashSet<>();
            OptionReply r;
            while ((r = c.optionReply()).type() == REP_SERVER) {
                assertThat(r.option()).isEqualTo(OPT_LIST);
                ByteBuffer b = r.buffer();
                int len = b.getInt();
                assertThat(len).isEqualTo(r.data().length - 4);
                byte[] name = new byte[len];
                b.get(name);
                names.add(new String(name, StandardCharsets.UTF_8));
            }
            assertThat(r.type()).isEqualTo(REP_ACK);
            assertThat(r.data()).isEmpty();
            assertThat(names).containsExactlyInAnyOrder("disk", "other", "ünïcode-name");

            c.option(OPT_LIST, new byte[] {0});
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
        }
    }

    @Test
    void infoDescribesTheExportAndKeepsNegotiating() throws IOException {
        try (RawNbdClient c = connect().start()) {
            List<OptionReply> replies = c.infoOrGo(OPT_INFO, "disk", INFO_BLOCK_SIZE, INFO_NAME);
            assertThat(replies.getLast().type()).isEqualTo(REP_ACK);
            Map<Integer, ByteBuffer> infos = new HashMap<>();
            for (OptionReply r : replies.subList(0, replies.size() - 1)) {
                assertThat(r.type()).isEqualTo(REP_INFO);
                assertThat(r.option()).isEqualTo(OPT_INFO);
                ByteBuffer b = r.buffer();
                infos.put((int) b.getShort(), b);
            }
            ByteBuffer export = infos.get(INFO_EXPORT);
            assertThat(export.remaining()).isEqualTo(10);
            assertThat(export.getLong()).isEqualTo(SIZE);
            assertThat(export.getShort() & 0xffff).isEqualTo(EXPECTED_TRANSMISSION_FLAGS);
            ByteBuffer bs = infos.get(INFO_BLOCK_SIZE);
            assertThat(bs.remaining()).isEqualTo(12);
            assertThat(bs.getInt()).isEqualTo(1);
            assertThat(bs.getInt()).isEqualTo(4096);
            assertThat(bs.getInt()).isEqualTo(32 << 20);
            assertThat(StandardCharsets.UTF_8.decode(infos.get(INFO_NAME)).toString()).isEqualTo("disk");
            // INFO did not end negotiation
            assertThat(c.go("disk")).isEqualTo(SIZE);
            assertTransmissionWorks(c);
        }
    }

    @Test
    void goOnUnknownExportIsErrUnknownAndTheSessionContinues() throws IOException {
        try (RawNbdClient c = connect().start()) {
            List<OptionReply> replies = c.infoOrGo(OPT_GO, "nope", INFO_BLOCK_SIZE);
            assertThat(replies).hasSize(1);
            assertThat(replies.getFirst().type()).isEqualTo(REP_ERR_UNKNOWN);
            assertThat(replies.getFirst().option()).isEqualTo(OPT_GO);
            assertThat(replies.getFirst().text()).contains("nope");
            assertThat(c.go("disk")).isEqualTo(SIZE);
            assertTransmissionWorks(c);
        }
    }

    @Test
    void malformedInfoRequestsAreErrInvalid() throws IOException {
        try (RawNbdClient c = connect().start()) {
            c.option(OPT_GO, new byte[] {0, 0, 0});
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            // name length beyond the option data
            c.option(OPT_GO, ByteBuffer.allocate(10).putInt(100).array());
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            // information request count not matching the length
            c.option(OPT_GO, ByteBuffer.allocate(12).putInt(4).put("disk".getBytes()).putShort((short) 5).array());
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);
            assertThat(c.go("disk")).isEqualTo(SIZE);
        }
    }

    @Test
    void emptyNameIsTheDefaultExportOnlyWhenThereIsExactlyOne() throws IOException {
        try (RawNbdClient c = connect().start()) {
            List<OptionReply> replies = c.infoOrGo(OPT_INFO, "", INFO_NAME);
            assertThat(replies.getLast().type()).isEqualTo(REP_ACK);
            assertThat(replies).anySatisfy(r -> {
                ByteBuffer b = r.buffer();
                assertThat(b.getShort()).isEqualTo((short) INFO_NAME);
                assertThat(StandardCharsets.UTF_8.decode(b).toString()).isEqualTo("disk");
            });
        }
        exports.put("second", new MemoryBlockDevice(512));
        try (RawNbdClient c = connect().start()) {
            assertThat(c.infoOrGo(OPT_GO, "").getLast().type()).isEqualTo(REP_ERR_UNKNOWN);
        }
    }

    @Test
    void exportNameEntersTransmissionWithOrWithoutTheZeroes() throws IOException {
        for (int clientFlags : new int[] {1, 3}) {
            try (RawNbdClient c = connect()) {
                c.greeting();
                c.clientFlags(clientFlags);
                c.option(OPT_EXPORT_NAME, "disk".getBytes());
                assertThat(c.in.readLong()).isEqualTo(SIZE);
                assertThat(c.in.readUnsignedShort()).isEqualTo(EXPECTED_TRANSMISSION_FLAGS);
                if (clientFlags == 1) {
                    byte[] zeroes = new byte[124];
                    c.in.readFully(zeroes);
                    assertThat(zeroes).containsOnly(0);
                }
                assertTransmissionWorks(c);
            }
        }
    }

    @Test
    void exportNameForAnUnknownExportClosesTheSession() throws IOException {
        try (RawNbdClient c = connect().start()) {
            c.option(OPT_EXPORT_NAME, "nope".getBytes());
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void abortIsAcknowledgedThenClosed() throws IOException {
        try (RawNbdClient c = connect().start()) {
            c.option(OPT_ABORT, new byte[0]);
            OptionReply r = c.optionReply();
            assertThat(r.option()).isEqualTo(OPT_ABORT);
            assertThat(r.type()).isEqualTo(REP_ACK);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void aClientThatNeverNegotiatesIsDroppedAfterTheHandshakeTimeout() throws Exception {
        ManualClock clock = new ManualClock();
        server.close();
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0)
                .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(1)), exports, null, clock).start();
        try (RawNbdClient idle = connect(); RawNbdClient negotiated = transmission("disk")) {
            idle.greeting();
            await().until(() -> server.stats().connectionsActive() == 2);
            clock.advance(Duration.ofSeconds(30).minusMillis(1));
            assertThat(server.dropOverdueHandshakes()).as("not before the timeout").isZero();
            assertTransmissionWorks(negotiated);

            clock.advanceMillis(1);
            assertThat(idle.closedByServer()).isTrue();
            assertThat(server.stats().protocolViolations()).isEqualTo(1);
            assertTransmissionWorks(negotiated); // past the handshake, the timeout no longer applies
        }
    }

    // --- transmission ------------------------------------------------------------------------

    void assertTransmissionWorks(RawNbdClient c) throws IOException {
        c.request(0, CMD_READ, 77, 1000, 100, null);
        c.flush();
        Reply r = c.reply(cookie -> 100);
        assertThat(r.cookie()).isEqualTo(77);
        assertThat(r.error()).isZero();
        assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, 1000, 1100));
    }

    @Test
    void readsReturnTheDeviceBytesAtAnyAlignment() throws IOException {
        try (RawNbdClient c = transmission("disk")) {
            long[][] cases = {{0, 1}, {1, 511}, {4095, 4097}, {SIZE - 1, 1}, {12345, 1 << 20}, {0, SIZE}};
            for (long[] k : cases) {
                c.request(0, CMD_READ, k[0], k[0], k[1], null);
                c.flush();
                Reply r = c.reply(cookie -> (int) k[1]);
                assertThat(r.error()).isZero();
                assertThat(r.cookie()).isEqualTo(k[0]);
                assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, (int) k[0], (int) (k[0] + k[1])));
            }
        }
        assertThat(server.stats().readRequests()).isEqualTo(6);
        assertThat(server.stats().bytesRead()).isEqualTo(1 + 511 + 4097 + 1 + (1 << 20) + SIZE);
    }

    @Test
    void writesFlushTrimAndWriteZeroesReachTheDevice() throws IOException {
        byte[] payload = new byte[10_000];
        Arrays.fill(payload, (byte) 0xab);
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_WRITE, 1, 777, payload.length, payload);
            c.request(FLAG_FUA, CMD_WRITE, 2, 100_000, 3, new byte[] {1, 2, 3});
            c.request(0, CMD_WRITE_ZEROES, 3, 200_000, 5000, null);
            c.request(FLAG_NO_HOLE | FLAG_FUA, CMD_WRITE_ZEROES, 4, 300_000, 1, null);
            c.request(0, CMD_TRIM, 5, 400_000, 65536, null);
            c.request(0, CMD_FLUSH, 6, 0, 0, null);
            c.flush();
            Set<Long> cookies = new HashSet<>();
            for (int i = 0; i < 6; i++) {
                Reply r = c.reply();
                assertThat(r.error()).as("cookie %d", r.cookie()).isZero();
                cookies.add(r.cookie());
            }
            assertThat(cookies).containsExactlyInAnyOrder(1L, 2L, 3L, 4L, 5L, 6L);
        }
        byte[] expected = image.clone();
        System.arraycopy(payload, 0, expected, 777, payload.length);
        System.arraycopy(new byte[] {1, 2, 3}, 0, expected, 100_000, 3);
        Arrays.fill(expected, 200_000, 205_000, (byte) 0);
        expected[300_000] = 0;
        assertThat(memory.data).isEqualTo(expected);
        assertThat(disk.trims).containsExactly(new RecordingDevice.Range(400_000, 65536));
        assertThat(disk.zeroed).containsExactlyInAnyOrder(
                new RecordingDevice.Range(200_000, 5000), new RecordingDevice.Range(300_000, 1));
        // one for each FUA (write, write_zeroes), one for FLUSH
        assertThat(disk.flushes.get()).isEqualTo(3);
        NbdStats s = server.stats();
        assertThat(s.writeRequests()).isEqualTo(2);
        assertThat(s.writeZeroesRequests()).isEqualTo(2);
        assertThat(s.trimRequests()).isEqualTo(1);
        assertThat(s.flushRequests()).isEqualTo(1);
        assertThat(s.bytesWritten()).isEqualTo(10_003);
        assertThat(meters.get("bootswarm.nbd.requests").tag("command", "write").functionCounter().count())
                .isEqualTo(2.0);
        assertThat(meters.get("bootswarm.nbd.written.bytes").functionCounter().count()).isEqualTo(10_003.0);
    }

    @Test
    void invalidRequestsGetTheirErrorsAndTheStreamStaysInStep() throws IOException {
        record Case(String what, int flags, int type, long offset, long length, boolean payload, int error) {
        }
        List<Case> cases = List.of(
                new Case("read beyond the end", 0, CMD_READ, SIZE - 10, 11, false, EINVAL),
                new Case("read starting at the end", 0, CMD_READ, SIZE, 1, false, EINVAL),
                new Case("read at an offset above 2^63", 0, CMD_READ, Long.MIN_VALUE + 5, 10, false, EINVAL),
                new Case("read of zero bytes", 0, CMD_READ, 0, 0, false, EINVAL),
                new Case("read over 32 MiB", 0, CMD_READ, 0, (32 << 20) + 1, false, EINVAL),
                new Case("read with the DF flag not negotiated", FLAG_DF, CMD_READ, 0, 10, false, EINVAL),
                new Case("read with an unknown flag", 1 << 9, CMD_READ, 0, 10, false, EINVAL),
                new Case("write past the end", 0, CMD_WRITE, SIZE - 2, 3, true, ENOSPC),
                new Case("write wholly past the end", 0, CMD_WRITE, SIZE + 4096, 512, true, ENOSPC),
                new Case("write with an unknown flag", 1 << 7, CMD_WRITE, 0, 8, true, EINVAL),
                new Case("write zeroes past the end", 0, CMD_WRITE_ZEROES, SIZE - 1, 2, false, ENOSPC),
                new Case("write zeroes with FAST_ZERO over data", FLAG_FAST_ZERO, CMD_WRITE_ZEROES, 0, 2, false, ENOTSUP),
                new Case("write zeroes with an unknown flag", 1 << 5, CMD_WRITE_ZEROES, 0, 2, false, EINVAL),
                new Case("trim past the end", 0, CMD_TRIM, SIZE - 1, 2, false, EINVAL),
                new Case("flush with an offset", 0, CMD_FLUSH, 512, 0, false, EINVAL),
                new Case("cache with a flag", FLAG_FUA, CMD_CACHE, 0, 512, false, EINVAL),
                new Case("cache past the end", 0, CMD_CACHE, SIZE - 1, 2, false, EINVAL),
                new Case("cache of zero bytes", 0, CMD_CACHE, 0, 0, false, EINVAL),
                new Case("block status, not negotiated", 0, CMD_BLOCK_STATUS, 0, 512, false, EINVAL),
                new Case("unknown command", 0, 99, 0, 512, false, EINVAL));
        try (RawNbdClient c = transmission("disk")) {
            long cookie = 1000;
            for (Case k : cases) {
                cookie++;
                c.request(k.flags(), k.type(), cookie, k.offset(), k.length(),
                        k.payload() ? new byte[(int) k.length()] : null);
                c.flush();
                Reply r = c.reply();
                assertThat(r.cookie()).as(k.what()).isEqualTo(cookie);
                assertThat(r.error()).as(k.what()).isEqualTo(k.error());
                assertTransmissionWorks(c);
            }
            // an oversize WRITE: its payload is consumed and refused
            byte[] big = new byte[(32 << 20) + 1];
            c.request(0, CMD_WRITE, 5, 0, big.length, big);
            c.flush();
            assertThat(c.reply().error()).isEqualTo(EINVAL);
            assertTransmissionWorks(c);
        }
        assertThat(memory.data).isEqualTo(image);
        assertThat(disk.writes.get()).isZero();
        assertThat(server.stats().errorReplies()).isEqualTo(cases.size() + 1);
        assertThat(meters.get("bootswarm.nbd.errors").tag("error", "ENOSPC").functionCounter().count()).isEqualTo(3.0);
    }

    @Test
    void cacheHandsTheRangeToTheDeviceAndSucceeds() throws IOException {
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_CACHE, 41, 8192, 1 << 20, null);
            c.request(0, CMD_CACHE, 42, 0, SIZE, null);
            c.flush();
            assertThat(List.of(c.reply(), c.reply())).extracting(Reply::error).containsOnly(0);
            assertTransmissionWorks(c);
        }
        assertThat(disk.caches).containsExactlyInAnyOrder(new RecordingDevice.Range(8192, 1 << 20),
                new RecordingDevice.Range(0, SIZE));
        assertThat(disk.reads.get()).isEqualTo(1);
        assertThat(meters.get("bootswarm.nbd.requests").tag("command", "cache").functionCounter().count())
                .isEqualTo(2.0);
    }

    @Test
    void aFailingCacheHintStillSucceeds() throws IOException {
        disk.failCache("no swarm");
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_CACHE, 43, 0, 4096, null);
            c.flush();
            assertThat(c.reply().error()).isZero();
            assertTransmissionWorks(c);
        }
        assertThat(server.stats().errorReplies()).isZero();
    }

    @Test
    void badRequestMagicClosesTheConnection() throws IOException {
        try (RawNbdClient c = transmission("disk")) {
            c.out.writeInt(0x12560953); // the historic request magic
            c.out.write(new byte[24]);
            c.out.flush();
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.stats().protocolViolations()).isEqualTo(1);
    }

    @Test
    void deviceFailureIsEioAndTheConnectionGoesOn() throws IOException {
        disk.fail(8192, "simulated I/O failure");
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_READ, 9, 8192, 4096, null);
            c.flush();
            Reply r = c.reply();
            assertThat(r.error()).isEqualTo(EIO);
            assertThat(r.data()).isEmpty();
            assertTransmissionWorks(c);
        }
        assertThat(server.stats().ioErrors()).isEqualTo(1);
    }

    @Test
    void aSlowReadDoesNotHoldUpTheRequestsBehindItAndIsAnsweredLater() throws Exception {
        disk.hold(0);
        byte[] payload = {9, 8, 7};
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_READ, 1, 0, 65536, null);         // waits for its "piece"
            c.request(0, CMD_READ, 2, 65536, 65536, null);
            c.request(0, CMD_WRITE, 3, 200_000, 3, payload);
            c.request(0, CMD_FLUSH, 4, 0, 0, null);
            c.request(0, CMD_READ, 5, 200_000, 3, null);       // issued after the write: may see it or not
            c.flush();
            assertThat(disk.awaitHeldRead(0, 5000)).isTrue();
            Map<Long, Integer> lengths = Map.of(1L, 65536, 2L, 65536, 5L, 3);
            Set<Long> early = new HashSet<>();
            for (int i = 0; i < 4; i++) {
                Reply r = c.reply(cookie -> lengths.getOrDefault(cookie, 0));
                assertThat(r.error()).isZero();
                early.add(r.cookie());
                if (r.cookie() == 2) {
                    assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, 65536, 131072));
                }
            }
            assertThat(early).containsExactlyInAnyOrder(2L, 3L, 4L, 5L);
            disk.open(0);
            Reply slow = c.reply(cookie -> lengths.getOrDefault(cookie, 0));
            assertThat(slow.cookie()).isEqualTo(1);
            assertThat(slow.data()).isEqualTo(Arrays.copyOfRange(image, 0, 65536));
        }
    }

    @Test
    void manyRequestsInFlightBeyondTheLimitAreAllAnsweredByCookie() throws Exception {
        server.close();
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0).withLimits(16, 8, 32 << 20), exports).start();
        Random rnd = new Random(7);
        int n = 500;
        Map<Long, long[]> sent = new HashMap<>();
        try (RawNbdClient c = transmission("disk")) {
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            // write all requests from another thread while replies are read here, as a real client would
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    Random r = new Random(7);
                    for (long cookie = 0; cookie < n; cookie++) {
                        int len = 1 + r.nextInt(300_000);
                        long off = r.nextLong(SIZE - len + 1);
                        c.request(0, CMD_READ, cookie, off, len, null);
                    }
                    c.flush();
                } catch (Throwable t) {
                    writerFailure.set(t);
                }
            });
            for (long cookie = 0; cookie < n; cookie++) {
                int len = 1 + rnd.nextInt(300_000);
                sent.put(cookie, new long[] {rnd.nextLong(SIZE - len + 1), len});
            }
            Set<Long> seen = new HashSet<>();
            for (int i = 0; i < n; i++) {
                Reply r = c.reply(cookie -> (int) sent.get(cookie)[1]);
                assertThat(r.error()).isZero();
                long[] req = sent.get(r.cookie());
                assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, (int) req[0], (int) (req[0] + req[1])));
                assertThat(seen.add(r.cookie())).isTrue();
            }
            writer.join();
            assertThat(writerFailure.get()).isNull();
        }
    }

    @Test
    void discFinishesTheRequestsInFlightThenCloses() throws Exception {
        disk.hold(4096);
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_READ, 11, 4096, 100, null);
            c.request(0, CMD_DISC, 12, 0, 0, null);
            c.flush();
            assertThat(disk.awaitHeldRead(4096, 5000)).isTrue();
            // the DISC has been read while the READ before it is still held: what follows is the
            // server finishing a request in flight after DISC, not a READ answered before it
            await().until(() -> server.stats().discRequests() == 1);
            assertThat(server.stats().connectionsActive()).isEqualTo(1);
            disk.open(4096);
            Reply r = c.reply(cookie -> 100);
            assertThat(r.cookie()).isEqualTo(11);
            assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, 4096, 4196));
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.stats().discRequests()).isEqualTo(1);
    }

    @Test
    void writesOnOneConnectionAreSeenByAnotherAfterTheirReply() throws IOException {
        byte[] payload = new byte[4096];
        Arrays.fill(payload, (byte) 0x5a);
        try (RawNbdClient a = transmission("disk"); RawNbdClient b = transmission("disk")) {
            a.request(0, CMD_WRITE, 1, 8192, payload.length, payload);
            a.flush();
            assertThat(a.reply().error()).isZero();
            b.request(0, CMD_READ, 2, 8192, payload.length, null);
            b.flush();
            assertThat(b.reply(cookie -> payload.length).data()).isEqualTo(payload);
        }
        assertThat(server.stats().connectionsAccepted()).isEqualTo(2);
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        server.close();
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0).withLimits(1, 8, 32 << 20), exports).start();
        try (RawNbdClient first = transmission("disk"); RawNbdClient second = connect()) {
            assertThat(second.closedByServer()).isTrue();
            assertTransmissionWorks(first);
        }
        assertThat(server.stats().connectionsRejected()).isEqualTo(1);
    }

    @Test
    void disconnectEndsTheSessionsOfAnExport() throws Exception {
        exports.put("other", new MemoryBlockDevice(4096));
        try (RawNbdClient a = transmission("disk"); RawNbdClient b = transmission("other")) {
            exports.remove("disk");
            assertThat(server.disconnect("disk")).isEqualTo(1);
            assertThat(a.closedByServer()).isTrue();
            b.request(0, CMD_READ, 1, 0, 16, null);
            b.flush();
            assertThat(b.reply(cookie -> 16).error()).isZero();
        }
    }

    /** A server whose shutdown grace runs on {@code clock}. */
    NbdServer restartWith(ManualClock clock) throws IOException {
        server.close();
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0)
                .withTimeouts(Duration.ofSeconds(30), Duration.ofSeconds(10)), exports, null, clock).start();
        return server;
    }

    /** Starts {@link NbdServer#close()} on another thread and returns once it waits for the connections. */
    Thread closeInTheBackground() {
        Thread closer = Thread.ofPlatform().start(server::close);
        await().until(() -> closer.getState() == Thread.State.TIMED_WAITING || !closer.isAlive());
        return closer;
    }

    @Test
    void closeWaitsForRequestsInFlight() throws Exception {
        restartWith(new ManualClock()); // the grace never runs out here
        disk.hold(0);
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_READ, 1, 0, 512, null);
            c.flush();
            assertThat(disk.awaitHeldRead(0, 5000)).isTrue();
            Thread closer = closeInTheBackground();
            assertThat(closer.isAlive()).isTrue();
            disk.open(0);
            Reply r = c.reply(cookie -> 512);
            assertThat(r.data()).isEqualTo(Arrays.copyOf(image, 512));
            closer.join(5000);
            assertThat(closer.isAlive()).isFalse();
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.stats().connectionsActive()).isZero();
    }

    @Test
    void closeGivesUpOnRequestsInFlightWhenTheGraceRunsOut() throws Exception {
        ManualClock clock = new ManualClock();
        restartWith(clock);
        disk.hold(0);
        try (RawNbdClient c = transmission("disk")) {
            c.request(0, CMD_READ, 1, 0, 512, null);
            c.flush();
            assertThat(disk.awaitHeldRead(0, 5000)).isTrue();
            Thread closer = closeInTheBackground();
            clock.advance(Duration.ofSeconds(10).minusMillis(1));
            assertThat(closer.isAlive()).isTrue();
            clock.advanceMillis(1);
            closer.join(5000);
            assertThat(closer.isAlive()).isFalse();
            assertThat(c.closedByServer()).as("closed without the reply").isTrue();
        } finally {
            disk.open(0);
        }
        await().until(() -> server.stats().connectionsActive() == 0);
    }

    // --- zero-copy reads (FileRegions) -------------------------------------------------------

    @Test
    void readsFromFileRegionsAreByteExactIncludingZeroRegionsAndFallBackWhenMissing(@TempDir Path dir)
            throws Exception {
        byte[] img = new byte[(2 << 20) + 777];
        new Random(3).nextBytes(img);
        try (RegionDevice dev = new RegionDevice(img, dir.resolve("store"))) {
            exports.put("regions", dev);
            Random rnd = new Random(11);
            List<long[]> reads = new java.util.ArrayList<>();
            reads.add(new long[] {RegionDevice.BLOCK - 5, 10});                      // across a block edge
            reads.add(new long[] {2L * RegionDevice.BLOCK + 3, RegionDevice.BLOCK}); // zero block into data
            reads.add(new long[] {img.length - 1, 1});
            for (int i = 0; i < 60; i++) {
                int len = 1 + rnd.nextInt(400_000);
                reads.add(new long[] {rnd.nextInt(img.length - len + 1), len});
            }
            // everything, 2 MiB+, last: too long to be served on the reading thread, where a blocking
            // sendfile would wait for room without the fallback counted below
            reads.add(new long[] {0, img.length});
            try (RawNbdClient c = new RawNbdClient(server.tcpPort(), 32 * 1024).start()) {
                assertThat(c.go("regions")).isEqualTo(img.length);
                // all requests first, replies after, into a small receive buffer: the socket fills
                // up, so sendfile runs out of room and the server must wait for it
                for (int i = 0; i < reads.size(); i++) {
                    c.request(0, CMD_READ, i, reads.get(i)[0], reads.get(i)[1], null);
                }
                c.flush();
                // nothing is read yet, so the socket fills up and sendfile runs out of room, mostly before the
                // first reply is read; in about 1 run of 5 the server's replies wait elsewhere first, and it runs
                // out of room while the replies are read below (asserted after them)
                try {
                    await().atMost(Duration.ofSeconds(5)).until(() -> server.metrics().transferFallbacks.sum() > 0);
                } catch (org.awaitility.core.ConditionTimeoutException notYet) {
                    System.out.println("no sendfile fallback before the replies were read");
                }
                for (int i = 0; i < reads.size(); i++) {
                    Reply r = c.reply(cookie -> (int) reads.get((int) cookie)[1]);
                    assertThat(r.error()).isZero();
                    long[] q = reads.get((int) r.cookie());
                    assertThat(r.data()).as("read %d at %d", q[1], q[0])
                            .isEqualTo(Arrays.copyOfRange(img, (int) q[0], (int) (q[0] + q[1])));
                }
                assertThat(dev.reads.get()).isZero();
                assertThat(server.stats().zeroCopyReads()).isEqualTo(reads.size());
                // the socket filled up at least once, so the path that waits for room was taken too
                assertThat(server.metrics().transferFallbacks.sum()).isPositive();

                // a block that is not local: the server falls back to read(), which may wait for it
                dev.missingBlock = 1;
                c.request(0, CMD_READ, 500, RegionDevice.BLOCK - 100, 200, null);
                c.flush();
                Reply r = c.reply(cookie -> 200);
                assertThat(r.data()).isEqualTo(Arrays.copyOfRange(img, RegionDevice.BLOCK - 100, RegionDevice.BLOCK + 100));
                assertThat(dev.reads.get()).isEqualTo(1);
                dev.missingBlock = -1;

                // regions that do not add up to the request: EIO before anything is sent
                dev.lengthError = 5;
                c.request(0, CMD_READ, 501, 0, 1000, null);
                c.flush();
                assertThat(c.reply().error()).isEqualTo(EIO);
                dev.lengthError = 0;
                c.request(0, CMD_READ, 502, 0, 1000, null);
                c.flush();
                assertThat(c.reply(cookie -> 1000).data()).isEqualTo(Arrays.copyOf(img, 1000));

                // a region past the end of its file: the header is out, so the connection must drop
                dev.truncatedBlock = 0;
                c.request(0, CMD_READ, 503, 0, 1000, null);
                c.flush();
                assertThat(c.closedByServer()).isTrue();
            }
        }
        assertThat(server.stats().ioErrors()).isEqualTo(2);
    }

    // --- Unix domain socket ------------------------------------------------------------------

    @Test
    void unixSocketServesAndReplacesOnlyAStaleSocket(@TempDir Path dir) throws Exception {
        Path socket = dir.resolve("sub/nbd.sock");
        try (NbdServer first = new NbdServer(NbdServerSettings.unix(socket), exports).start()) {
            assertThat(first.tcpPort()).isEqualTo(-1);
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                ByteBuffer greeting = ByteBuffer.allocate(18);
                while (greeting.hasRemaining()) {
                    ch.read(greeting);
                }
                assertThat(greeting.getLong(0)).isEqualTo(RawNbdClient.NBDMAGIC);
                var out = new java.io.DataOutputStream(Channels.newOutputStream(ch));
                out.writeInt(3);
                byte[] go = RawNbdClient.infoData("disk");
                out.writeLong(RawNbdClient.IHAVEOPT);
                out.writeInt(OPT_GO);
                out.writeInt(go.length);
                out.write(go);
                out.flush();
                var in = new java.io.DataInputStream(Channels.newInputStream(ch));
                int type;
                do {
                    assertThat(in.readLong()).isEqualTo(RawNbdClient.REPLY_MAGIC);
                    in.readInt();
                    type = in.readInt();
                    in.skipNBytes(in.readInt());
                } while (type == REP_INFO);
                assertThat(type).isEqualTo(REP_ACK);
            }
            // a second server on a live socket must not steal it
            assertThatThrownBy(() -> new NbdServer(NbdServerSettings.unix(socket), exports).start())
                    .isInstanceOf(IOException.class).hasMessageContaining("listening");
        }
        assertThat(socket).doesNotExist();

        // a stale socket file (no listener) is replaced
        try (var leftover = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            leftover.bind(UnixDomainSocketAddress.of(socket));
        }
        assertThat(socket).exists();
        try (NbdServer second = new NbdServer(NbdServerSettings.unix(socket), exports).start()) {
            try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                ByteBuffer greeting = ByteBuffer.allocate(8);
                ch.read(greeting);
                assertThat(greeting.getLong(0)).isEqualTo(RawNbdClient.NBDMAGIC);
            }
        }

        // a regular file is never deleted
        Files.writeString(socket, "precious");
        assertThatThrownBy(() -> new NbdServer(NbdServerSettings.unix(socket), exports).start())
                .isInstanceOf(IOException.class).hasMessageContaining("not a socket");
        assertThat(Files.readString(socket)).isEqualTo("precious");
    }
}
