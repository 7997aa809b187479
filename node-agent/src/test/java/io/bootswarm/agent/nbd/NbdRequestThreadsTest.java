package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.bootswarm.agent.nbd.RawNbdClient.Chunk;
import io.bootswarm.agent.nbd.RawNbdClient.OptionReply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

/**
 * Which thread serves a request ({@link NbdTransmission}): block status, and a short READ of local
 * bytes while the client has nothing else queued, on the connection's own (platform) thread, with no
 * hand-over; a long READ, a READ that has to wait for a piece, and READs the client pipelines, on
 * request threads, so that what comes behind them is not held up. Checked by the threads the device sees
 * and by the order of the replies.
 */
class NbdRequestThreadsTest {

    static final int OPT_STRUCTURED_REPLY = 8;
    static final int REP_ACK = 1;
    static final int CMD_READ = 0, CMD_BLOCK_STATUS = 7;
    static final int TYPE_OFFSET_DATA = 1, TYPE_BLOCK_STATUS = 5;
    static final int BLOCK = RegionDevice.BLOCK;
    static final int SIZE = 12 * BLOCK;

    @TempDir
    Path dir;
    byte[] image;
    RegionDevice device;
    NbdServer server;

    @BeforeEach
    void setUp() throws IOException {
        image = new byte[SIZE];
        new Random(11).nextBytes(image);
        device = new RegionDevice(image, dir.resolve("store"));
        ExportRegistry exports = new ExportRegistry();
        exports.put("disk", device);
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports).start();
    }

    @AfterEach
    void tearDown() throws IOException {
        server.close();
        device.close();
    }

    RawNbdClient connect() throws IOException {
        RawNbdClient c = new RawNbdClient(server.tcpPort()).start();
        c.option(OPT_STRUCTURED_REPLY, new byte[0]);
        OptionReply ack = c.optionReply();
        assertThat(ack.type()).isEqualTo(REP_ACK);
        NbdStructuredReplyTest.select(c, "disk", "base:allocation");
        c.go("disk");
        return c;
    }

    static boolean connectionThread(Thread t) {
        return !t.isVirtual() && t.getName().startsWith("nbd-conn-");
    }

    @Test
    void blockStatusAndALoneReadOfLocalBytesAreServedOnTheConnectionThread() throws IOException {
        try (RawNbdClient c = connect()) {
            c.request(0, CMD_BLOCK_STATUS, 1, 0, SIZE, null);
            c.flush();
            assertThat(c.structuredReply().getFirst().type()).isEqualTo(TYPE_BLOCK_STATUS);
            c.request(0, CMD_READ, 2, BLOCK, BLOCK, null);
            c.flush();
            assertThat(NbdStructuredReplyTest.assemble(c.structuredReply(), BLOCK, BLOCK))
                    .isEqualTo(Arrays.copyOfRange(image, BLOCK, 2 * BLOCK));
        }
        assertThat(device.extentThreads).hasSize(1).allMatch(NbdRequestThreadsTest::connectionThread);
        assertThat(device.regionThreads).hasSize(1).allMatch(NbdRequestThreadsTest::connectionThread);
        assertThat(device.reads).hasValue(0);
    }

    @Test
    void aLongReadRunsOnARequestThreadEvenAlone() throws IOException {
        int length = 5 * BLOCK;
        assertThat(length).isGreaterThan(NbdTransmission.INLINE_READ_MAX);
        try (RawNbdClient c = connect()) {
            c.request(0, CMD_READ, 1, 0, length, null);
            c.flush();
            assertThat(NbdStructuredReplyTest.assemble(c.structuredReply(), 0, length))
                    .isEqualTo(Arrays.copyOf(image, length));
        }
        assertThat(device.regionThreads).hasSize(1).allMatch(Thread::isVirtual);
        assertThat(device.reads).hasValue(0);
    }

    @Test
    void aReadWaitingForAMissingPieceRunsOnARequestThreadAndHoldsUpNothingBehindIt() throws IOException {
        device.missingBlock = 3;
        CountDownLatch gate = new CountDownLatch(1);
        device.readGate = gate;
        try (RawNbdClient c = connect()) {
            c.request(0, CMD_READ, 1, 3L * BLOCK, BLOCK, null);
            c.flush();
            c.request(0, CMD_BLOCK_STATUS, 2, 0, SIZE, null);
            c.request(0, CMD_READ, 3, 0, BLOCK, null);
            c.flush();
            assertThat(c.structuredReply().getFirst().cookie()).isEqualTo(2);
            List<Chunk> local = c.structuredReply();
            assertThat(local.getFirst().cookie()).isEqualTo(3);
            assertThat(NbdStructuredReplyTest.assemble(local, 0, BLOCK)).isEqualTo(Arrays.copyOf(image, BLOCK));
            gate.countDown();
            List<Chunk> fetched = c.structuredReply();
            assertThat(fetched.getFirst().cookie()).isEqualTo(1);
            assertThat(fetched.getFirst().type()).isEqualTo(TYPE_OFFSET_DATA);
            assertThat(NbdStructuredReplyTest.assemble(fetched, 3L * BLOCK, BLOCK))
                    .isEqualTo(Arrays.copyOfRange(image, 3 * BLOCK, 4 * BLOCK));
        }
        assertThat(device.readThreads).hasSize(1).allMatch(Thread::isVirtual);
    }

    @Test
    void readsTheClientPipelinesRunOnRequestThreads() throws IOException {
        try (RawNbdClient c = connect()) {
            for (int i = 0; i < 4; i++) {
                c.request(0, CMD_READ, i, (long) i * BLOCK, BLOCK, null);
            }
            c.flush(); // one write: the server finds all four headers in one receive
            Map<Long, byte[]> data = new HashMap<>();
            for (int i = 0; i < 4; i++) {
                List<Chunk> reply = c.structuredReply();
                long cookie = reply.getFirst().cookie();
                data.put(cookie, NbdStructuredReplyTest.assemble(reply, cookie * BLOCK, BLOCK));
            }
            for (int i = 0; i < 4; i++) {
                assertThat(data.get((long) i)).isEqualTo(Arrays.copyOfRange(image, i * BLOCK, (i + 1) * BLOCK));
            }
        }
        // the last one had nothing queued behind it
        assertThat(device.regionThreads).hasSize(4);
        assertThat(device.regionThreads).filteredOn(Thread::isVirtual).hasSize(3);
        assertThat(device.regionThreads).filteredOn(NbdRequestThreadsTest::connectionThread).hasSize(1);
    }
}
