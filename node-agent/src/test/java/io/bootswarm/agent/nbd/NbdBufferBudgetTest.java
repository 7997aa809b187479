package io.bootswarm.agent.nbd;

import io.bootswarm.agent.nbd.RawNbdClient.Reply;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Arrays;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The server-wide bound on payload buffer memory, and its settings. */
class NbdBufferBudgetTest {

    static final int MIB = 1 << 20;
    static final int CMD_READ = 0;

    byte[] image;
    RecordingDevice disk;
    NbdServer server;
    SimpleMeterRegistry meters;

    @BeforeEach
    void setUp() throws IOException {
        image = new byte[40 * MIB];
        new Random(3).nextBytes(image);
        disk = new RecordingDevice(new MemoryBlockDevice(image.clone()));
        ExportRegistry exports = new ExportRegistry();
        exports.put("disk", disk);
        meters = new SimpleMeterRegistry();
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0)
                .withMaxBufferBytes(NbdServerSettings.MIN_BUFFER_BYTES), exports, meters).start();
    }

    @AfterEach
    void tearDown() {
        server.close();
    }

    @Test
    void requestsOfAllConnectionsTogetherWaitForBufferMemory() throws Exception {
        disk.hold(0);
        try (RawNbdClient a = new RawNbdClient(server.tcpPort()).start();
             RawNbdClient b = new RawNbdClient(server.tcpPort()).start()) {
            a.go("disk");
            b.go("disk");
            a.request(0, CMD_READ, 1, 0, 16 * MIB, null);
            a.flush();
            assertThat(disk.awaitHeldRead(0, 10_000)).isTrue();
            // 16 MiB + 1 takes a 32 MiB buffer: more than what the first request left of the 32 MiB budget
            b.request(0, CMD_READ, 2, 16 * MIB, 16 * MIB + 1, null);
            b.flush();
            await().until(() -> server.stats().readRequests() == 2);

            assertThat(disk.reads.get()).as("reads that reached the device").isEqualTo(1);
            assertThat(server.bufferBytesInUse()).isEqualTo(16L * MIB + 1024);
            assertThat(meters.get("bootswarm.nbd.buffer.bytes").tag("state", "in-use").gauge().value())
                    .isEqualTo(16.0 * MIB + 1024);
            assertThat(meters.get("bootswarm.nbd.buffer.limit.bytes").gauge().value())
                    .isEqualTo((double) NbdServerSettings.MIN_BUFFER_BYTES);

            disk.open(0);
            Reply first = a.reply(cookie -> 16 * MIB);
            assertThat(first.data()).isEqualTo(Arrays.copyOfRange(image, 0, 16 * MIB));
            Reply second = b.reply(cookie -> 16 * MIB + 1);
            assertThat(second.error()).isZero();
            assertThat(second.data()).isEqualTo(Arrays.copyOfRange(image, 16 * MIB, 32 * MIB + 1));
            assertThat(disk.reads.get()).isEqualTo(2);
        }
        await().until(() -> server.bufferBytesInUse() == 0);
    }

    @Test
    void settingsRefuseBufferMemoryBelowOneRequestOrBeyondDirectMemory() {
        NbdServerSettings s = NbdServerSettings.tcp("127.0.0.1", 0);
        assertThatThrownBy(() -> s.withMaxBufferBytes(NbdServerSettings.MIN_BUFFER_BYTES - 1))
                .hasMessageContaining("maxBufferBytes must be >= " + NbdServerSettings.MIN_BUFFER_BYTES);
        assertThatThrownBy(() -> s.withMaxBufferBytes(1L << 30).checkAgainst(512L * MIB))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("more than the " + 512L * MIB + " bytes of direct memory")
                .hasMessageContaining("bootswarm.agent.nbd.limits.max-buffer-memory");
        assertThat(s.withMaxBufferBytes(512L * MIB).checkAgainst(512L * MIB).maxBufferBytes()).isEqualTo(512L * MIB);
    }

    @Test
    void defaultIsAQuarterOfDirectMemoryAndAtLeastOneRequest() {
        assertThat(NbdServerSettings.defaultMaxBufferBytes(4L << 30)).isEqualTo(1L << 30);
        assertThat(NbdServerSettings.defaultMaxBufferBytes(64L * MIB)).isEqualTo(NbdServerSettings.MIN_BUFFER_BYTES);
        assertThat(NbdServerSettings.tcp("127.0.0.1", 0).maxBufferBytes())
                .isEqualTo(NbdServerSettings.defaultMaxBufferBytes(DirectMemory.limit()))
                .isLessThan(1024L * 64 * MIB);
    }
}
