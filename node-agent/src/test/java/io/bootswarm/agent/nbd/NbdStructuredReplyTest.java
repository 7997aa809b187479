package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bootswarm.agent.nbd.RawNbdClient.Chunk;
import io.bootswarm.agent.nbd.RawNbdClient.OptionReply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Structured replies, meta contexts and block status on the wire, with the raw client: the option
 * replies of the negotiation, READs answered with OFFSET_DATA/OFFSET_HOLE chunks (one chunk under
 * NBD_CMD_FLAG_DF), errors as ERROR chunks, and NBD_CMD_BLOCK_STATUS for both contexts with and
 * without NBD_CMD_FLAG_REQ_ONE. Constants are written out from proto.md.
 */
class NbdStructuredReplyTest {

    static final int OPT_STRUCTURED_REPLY = 8, OPT_LIST_META_CONTEXT = 9, OPT_SET_META_CONTEXT = 10;
    static final int REP_ACK = 1, REP_META_CONTEXT = 4, REP_ERR_INVALID = 0x80000003, REP_ERR_UNKNOWN = 0x80000006;
    static final int CMD_READ = 0, CMD_BLOCK_STATUS = 7;
    static final int FLAG_DF = 4, FLAG_REQ_ONE = 8;
    static final int TYPE_OFFSET_DATA = 1, TYPE_OFFSET_HOLE = 2, TYPE_BLOCK_STATUS = 5, TYPE_ERROR = 0x8001;
    static final int EINVAL = 22;
    static final int BLOCK = RegionDevice.BLOCK;
    /** 12 blocks; blocks 2, 5, 8, 11 are zero. */
    static final int SIZE = 12 * BLOCK;

    @TempDir
    Path dir;
    byte[] image;
    RegionDevice regions;
    NbdServer server;
    SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @BeforeEach
    void setUp() throws IOException {
        image = new byte[SIZE];
        new Random(7).nextBytes(image);
        regions = new RegionDevice(image, dir.resolve("store")); // zeroes its zero blocks in image
        ExportRegistry exports = new ExportRegistry();
        exports.put("disk", regions);
        exports.put("memory", new MemoryBlockDevice(image.clone()));
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports, meters).start();
    }

    @AfterEach
    void tearDown() throws IOException {
        server.close();
        regions.close();
    }

    RawNbdClient structured() throws IOException {
        RawNbdClient c = new RawNbdClient(server.tcpPort()).start();
        c.option(OPT_STRUCTURED_REPLY, new byte[0]);
        OptionReply ack = c.optionReply();
        assertThat(ack.option()).isEqualTo(OPT_STRUCTURED_REPLY);
        assertThat(ack.type()).isEqualTo(REP_ACK);
        return c;
    }

    /** SET_META_CONTEXT; returns context id by name. */
    static Map<String, Integer> select(RawNbdClient c, String export, String... queries) throws IOException {
        List<OptionReply> replies = c.optionReplies(OPT_SET_META_CONTEXT, RawNbdClient.metaData(export, queries),
                REP_META_CONTEXT);
        assertThat(replies.getLast().type()).isEqualTo(REP_ACK);
        Map<String, Integer> ids = new HashMap<>();
        for (OptionReply r : replies.subList(0, replies.size() - 1)) {
            ByteBuffer b = r.buffer();
            int id = b.getInt();
            ids.put(StandardCharsets.UTF_8.decode(b).toString(), id);
        }
        return ids;
    }

    static List<String> listed(List<OptionReply> replies) {
        List<String> names = new ArrayList<>();
        for (OptionReply r : replies) {
            if (r.type() == REP_META_CONTEXT) {
                ByteBuffer b = r.buffer();
                assertThat(b.getInt()).as("id in a LIST reply").isZero();
                names.add(StandardCharsets.UTF_8.decode(b).toString());
            }
        }
        return names;
    }

    // --- negotiation -------------------------------------------------------------------------

    @Test
    void metaContextsAreListedAndSelectedAfterStructuredReplies() throws IOException {
        try (RawNbdClient c = structured()) {
            List<OptionReply> all = c.optionReplies(OPT_LIST_META_CONTEXT, RawNbdClient.metaData("disk"),
                    REP_META_CONTEXT);
            assertThat(all.getLast().type()).isEqualTo(REP_ACK);
            assertThat(listed(all)).containsExactlyInAnyOrder("base:allocation", "bootswarm:present");

            List<OptionReply> base = c.optionReplies(OPT_LIST_META_CONTEXT,
                    RawNbdClient.metaData("disk", "base:", "unknown:thing"), REP_META_CONTEXT);
            assertThat(listed(base)).containsExactly("base:allocation");
            assertThat(base.getLast().type()).isEqualTo(REP_ACK);

            List<OptionReply> none = c.optionReplies(OPT_LIST_META_CONTEXT,
                    RawNbdClient.metaData("disk", "x-other:"), REP_META_CONTEXT);
            assertThat(none).hasSize(1);
            assertThat(none.getFirst().type()).isEqualTo(REP_ACK);

            List<OptionReply> unknown = c.optionReplies(OPT_SET_META_CONTEXT,
                    RawNbdClient.metaData("nope", "base:allocation"), REP_META_CONTEXT);
            assertThat(unknown).hasSize(1);
            assertThat(unknown.getFirst().type()).isEqualTo(REP_ERR_UNKNOWN);

            // a query whose length runs past the option's data
            byte[] bad = ByteBuffer.allocate(4 + 4 + 4 + 4 + 4).putInt(4).put("disk".getBytes())
                    .putInt(1).putInt(100).putInt(0).array();
            c.option(OPT_SET_META_CONTEXT, bad);
            assertThat(c.optionReply().type()).isEqualTo(REP_ERR_INVALID);

            Map<String, Integer> ids = select(c, "disk", "base:allocation", "bootswarm:present", "base:");
            assertThat(ids).containsOnlyKeys("base:allocation", "bootswarm:present");
            assertThat(ids.values()).doesNotContain(0).doesNotHaveDuplicates();

            List<RawNbdClient.OptionReply> go = c.infoOrGo(7, "disk");
            ByteBuffer export = go.getFirst().buffer();
            assertThat(export.getShort()).isZero(); // NBD_INFO_EXPORT
            assertThat(export.getLong()).isEqualTo(SIZE);
            assertThat(export.getShort() & 0xffff).as("transmission flags").isEqualTo(1 | 4 | 8 | 32 | 64 | 128 | 256 | 1024 | 2048);
            assertThat(go.getLast().type()).isEqualTo(REP_ACK);
        }
    }

    // --- reads ---------------------------------------------------------------------------------

    @Test
    void aStructuredReadSendsZeroBlocksAsHolesAndEverythingElseAsData() throws IOException {
        try (RawNbdClient c = structured()) {
            c.go("disk");
            long offset = BLOCK + 100;
            int length = 5 * BLOCK; // blocks 1..6: data, zero, data, data, zero, data
            c.request(0, CMD_READ, 1, offset, length, null);
            c.flush();
            List<Chunk> chunks = c.structuredReply();
            byte[] got = assemble(chunks, offset, length);
            assertThat(got).isEqualTo(Arrays.copyOfRange(image, (int) offset, (int) offset + length));
            assertThat(chunks).extracting(Chunk::type).containsExactly(TYPE_OFFSET_DATA, TYPE_OFFSET_HOLE,
                    TYPE_OFFSET_DATA, TYPE_OFFSET_HOLE, TYPE_OFFSET_DATA);
            assertThat(chunks.subList(0, chunks.size() - 1)).noneMatch(Chunk::done);

            c.request(FLAG_DF, CMD_READ, 2, offset, length, null);
            c.flush();
            List<Chunk> one = c.structuredReply();
            assertThat(one).extracting(Chunk::type).containsExactly(TYPE_OFFSET_DATA);
            assertThat(assemble(one, offset, length)).isEqualTo(got);

            c.request(0, CMD_READ, 3, 2L * BLOCK, BLOCK, null);
            c.flush();
            List<Chunk> hole = c.structuredReply();
            assertThat(hole).extracting(Chunk::type).containsExactly(TYPE_OFFSET_HOLE);
            assertThat(hole.getFirst().payload()).hasSize(12);
            assertThat(hole.getFirst().buffer().getLong(0)).isEqualTo(2L * BLOCK);
            assertThat(hole.getFirst().buffer().getInt(8)).isEqualTo(BLOCK);
            // counted by the request's thread after the chunk went out
            await().untilAsserted(() -> assertThat(meters.get("bootswarm.nbd.hole.bytes").functionCounter().count())
                    .isEqualTo(3.0 * BLOCK));
        }
    }

    @Test
    void aStructuredReadThroughABufferIsOneDataChunkAndErrorsAreErrorChunks() throws IOException {
        try (RawNbdClient c = structured()) {
            c.go("memory");
            c.request(0, CMD_READ, 1, 4096, 70_000, null);
            c.flush();
            List<Chunk> chunks = c.structuredReply();
            assertThat(chunks).extracting(Chunk::type).containsExactly(TYPE_OFFSET_DATA);
            assertThat(assemble(chunks, 4096, 70_000)).isEqualTo(Arrays.copyOfRange(image, 4096, 4096 + 70_000));

            c.request(0, CMD_READ, 2, SIZE - 10, 20, null); // past the end
            c.request(0, CMD_BLOCK_STATUS, 3, 0, 4096, null); // no context selected
            c.flush();
            // replies go out in completion order
            List<Chunk> errors = new ArrayList<>(List.of(c.chunk(), c.chunk()));
            errors.sort(Comparator.comparingLong(Chunk::cookie));
            for (long cookie = 2; cookie <= 3; cookie++) {
                Chunk error = errors.get((int) cookie - 2);
                assertThat(error.cookie()).isEqualTo(cookie);
                assertThat(error.type()).isEqualTo(TYPE_ERROR);
                assertThat(error.done()).isTrue();
                assertThat(error.buffer().getInt()).isEqualTo(EINVAL);
            }
        }
    }

    // --- block status --------------------------------------------------------------------------

    @Test
    void blockStatusAnswersEveryContextWithMergedExtentsAndReqOneCutsToOne() throws IOException {
        regions.missingBlock = 4;
        try (RawNbdClient c = structured()) {
            Map<String, Integer> ids = select(c, "disk", "base:allocation", "bootswarm:present");
            c.go("disk");
            c.request(0, CMD_BLOCK_STATUS, 1, 0, SIZE, null);
            c.flush();
            Map<Integer, List<long[]>> byId = blockStatus(c.structuredReply());
            assertThat(byId.get(ids.get("base:allocation"))).containsExactly(
                    new long[] {2L * BLOCK, 0}, new long[] {BLOCK, 3}, new long[] {2L * BLOCK, 0}, new long[] {BLOCK, 3},
                    new long[] {2L * BLOCK, 0}, new long[] {BLOCK, 3}, new long[] {2L * BLOCK, 0},
                    new long[] {BLOCK, 3});
            assertThat(byId.get(ids.get("bootswarm:present"))).containsExactly(
                    new long[] {4L * BLOCK, 1}, new long[] {BLOCK, 0}, new long[] {7L * BLOCK, 1});

            // REQ_ONE: one extent each, not longer than asked
            c.request(FLAG_REQ_ONE, CMD_BLOCK_STATUS, 2, 100, 1000, null);
            c.request(FLAG_REQ_ONE, CMD_BLOCK_STATUS, 3, 2L * BLOCK, 10L * BLOCK, null);
            c.flush();
            // replies go out in completion order
            List<List<Chunk>> replies = new ArrayList<>(List.of(c.structuredReply(), c.structuredReply()));
            replies.sort(Comparator.comparingLong(reply -> reply.getFirst().cookie()));
            assertThat(replies.get(0).getFirst().cookie()).isEqualTo(2);
            assertThat(replies.get(1).getFirst().cookie()).isEqualTo(3);
            Map<Integer, List<long[]>> small = blockStatus(replies.get(0));
            assertThat(small.get(ids.get("base:allocation"))).containsExactly(new long[] {1000, 0});
            assertThat(small.get(ids.get("bootswarm:present"))).containsExactly(new long[] {1000, 1});
            Map<Integer, List<long[]>> one = blockStatus(replies.get(1));
            assertThat(one.get(ids.get("base:allocation"))).containsExactly(new long[] {BLOCK, 3});
            assertThat(one.get(ids.get("bootswarm:present"))).containsExactly(new long[] {2L * BLOCK, 1});

            // a length that ends inside an extent cuts it there
            c.request(0, CMD_BLOCK_STATUS, 4, 0, BLOCK + 512, null);
            c.flush();
            assertThat(blockStatus(c.structuredReply()).get(ids.get("base:allocation")))
                    .containsExactly(new long[] {BLOCK + 512, 0});
            assertThat(meters.get("bootswarm.nbd.requests").tag("command", "block_status").functionCounter().count())
                    .isEqualTo(4.0);
        }
    }

    @Test
    void blockStatusUsesOnlyTheContextsOfTheLastSetForTheChosenExport() throws IOException {
        try (RawNbdClient c = structured()) {
            select(c, "disk", "base:allocation", "bootswarm:present");
            Map<String, Integer> ids = select(c, "disk", "bootswarm:present");
            c.go("disk");
            c.request(0, CMD_BLOCK_STATUS, 1, 0, BLOCK, null);
            c.flush();
            List<Chunk> chunks = c.structuredReply();
            assertThat(chunks).hasSize(1);
            assertThat(chunks.getFirst().buffer().getInt()).isEqualTo(ids.get("bootswarm:present"));
        }
        try (RawNbdClient c = structured()) {
            select(c, "memory", "base:allocation");
            c.go("disk"); // another export: nothing selected
            c.request(0, CMD_BLOCK_STATUS, 1, 0, BLOCK, null);
            c.flush();
            Chunk error = c.chunk();
            assertThat(error.type()).isEqualTo(TYPE_ERROR);
            assertThat(error.buffer().getInt()).isEqualTo(EINVAL);
        }
    }

    /** Context id to its extents as {length, flags}, from the chunks of one block status reply. */
    static Map<Integer, List<long[]>> blockStatus(List<Chunk> chunks) {
        Map<Integer, List<long[]>> out = new HashMap<>();
        for (Chunk ch : chunks) {
            assertThat(ch.type()).isEqualTo(TYPE_BLOCK_STATUS);
            ByteBuffer b = ch.buffer();
            int id = b.getInt();
            List<long[]> extents = new ArrayList<>();
            while (b.hasRemaining()) {
                extents.add(new long[] {Integer.toUnsignedLong(b.getInt()), b.getInt()});
            }
            assertThat(out.put(id, extents)).as("one chunk per context").isNull();
        }
        return out;
    }

    /** The READ's bytes from its content chunks, checking they tile the range exactly. */
    static byte[] assemble(List<Chunk> chunks, long offset, int length) {
        byte[] out = new byte[length];
        boolean[] covered = new boolean[length];
        for (Chunk ch : chunks) {
            ByteBuffer b = ch.buffer();
            int at = (int) (b.getLong() - offset);
            int n = ch.type() == TYPE_OFFSET_HOLE ? b.getInt() : b.remaining();
            if (ch.type() == TYPE_OFFSET_DATA) {
                b.get(out, at, n);
            } else {
                assertThat(ch.type()).isEqualTo(TYPE_OFFSET_HOLE);
            }
            for (int i = at; i < at + n; i++) {
                assertThat(covered[i]).as("byte %d covered twice", i).isFalse();
                covered[i] = true;
            }
        }
        for (int i = 0; i < length; i++) {
            assertThat(covered[i]).as("byte %d covered", i).isTrue();
        }
        return out;
    }
}
