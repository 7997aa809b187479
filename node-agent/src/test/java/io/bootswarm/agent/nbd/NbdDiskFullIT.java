package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.SmallFileSystem;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.nbd.RawNbdClient.Reply;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

/**
 * A disk whose piece store and overlay live on a real file system that fills up (a 4 MiB tmpfs),
 * served over NBD: a WRITE that needs space gets NBD_ENOSPC (28), the server stays up, reads of
 * what was there before return the right bytes, and once space is freed writes work again. Both
 * with the raw protocol client (the exact error value) and with qemu-io.
 */
class NbdDiskFullIT {

    static final int PIECE = 64 * 1024;
    static final int CMD_READ = 0, CMD_WRITE = 1, CMD_FLUSH = 3;
    static final int ENOSPC = 28;

    @TempDir
    Path dir;

    @Test
    void aWriteOnAFullDiskGetsEnospcAndEarlierDataStillReads() throws Exception {
        ExternalTools.require("qemu-io");
        byte[] image = new byte[24 * PIECE];
        new Random(5).nextBytes(image);
        Manifest manifest = new PieceSplitter(PIECE, Long.MAX_VALUE)
                .split(new ByteArrayInputStream(image), null, null).manifest(UUID.randomUUID(), "full-disk");
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("mnt"), 4)) {
            PieceStore store = PieceStore.open(fs.path().resolve("pieces"), PIECE, Duration.ofHours(1));
            VirtualDisk disk = VirtualDisk.open(manifest, store, p -> store.put(VerifiedPiece.verify(
                    manifest.hash(p), Arrays.copyOfRange(image, p * PIECE, (p + 1) * PIECE), PIECE).orElseThrow()),
                    fs.path().resolve("overlay"), VirtualDisk.AccessListener.NONE);
            ExportRegistry exports = new ExportRegistry();
            exports.put("disk", disk);
            NbdServer server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0), exports,
                    new SimpleMeterRegistry()).start();
            String uri = "nbd://127.0.0.1:" + server.tcpPort() + "/disk";
            try (RawNbdClient c = new RawNbdClient(server.tcpPort()).start()) {
                c.go("disk");
                byte[] ours = new byte[PIECE];
                Arrays.fill(ours, (byte) 0xab);
                c.request(0, CMD_WRITE, 1, 0, PIECE, ours);
                c.request(0, CMD_FLUSH, 2, 0, 0, null);
                c.request(0, CMD_READ, 3, 2L * PIECE, PIECE, null); // fetches piece 2 into the store
                c.flush();
                for (int i = 0; i < 3; i++) {
                    assertThat(c.reply(cookie -> cookie == 3 ? PIECE : 0).error()).isZero();
                }

                fs.fill();

                byte[] theirs = new byte[256 * 1024];
                Arrays.fill(theirs, (byte) 0xcd);
                c.request(0, CMD_WRITE, 4, 8L * PIECE, theirs.length, theirs);
                c.flush();
                assertThat(c.reply().error()).as("a WRITE on a full disk").isEqualTo(ENOSPC);
                c.request(0, CMD_READ, 5, 0, PIECE, null);
                c.request(0, CMD_READ, 6, 2L * PIECE, PIECE, null);
                c.request(0, CMD_FLUSH, 7, 0, 0, null);
                c.flush();
                for (int i = 0; i < 3; i++) {
                    Reply r = c.reply(cookie -> cookie == 7 ? 0 : PIECE);
                    assertThat(r.error()).as("reply to %d", r.cookie()).isZero();
                    if (r.cookie() == 5) {
                        assertThat(r.data()).isEqualTo(ours);
                    } else if (r.cookie() == 6) {
                        assertThat(r.data()).isEqualTo(Arrays.copyOfRange(image, 2 * PIECE, 3 * PIECE));
                    }
                }
                ExternalTools.Result full = ExternalTools.run(List.of("qemu-io", "-f", "raw",
                        "-c", "write -P 0xcd 524288 262144", uri), 60);
                assertThat(full.output()).contains("No space left on device");
                ExternalTools.Result before = ExternalTools.run(List.of("qemu-io", "-f", "raw", "-r",
                        "-c", "read -P 0xab 0 65536", uri), 60);
                assertThat(before.exitCode()).as(before.output()).isZero();

                fs.free();

                c.request(0, CMD_WRITE, 8, 8L * PIECE, theirs.length, theirs);
                c.request(0, CMD_FLUSH, 9, 0, 0, null);
                c.flush();
                assertThat(c.reply().error()).isZero();
                assertThat(c.reply().error()).isZero();
                ExternalTools.Result after = ExternalTools.run(List.of("qemu-io", "-f", "raw", "-r",
                        "-c", "read -P 0xcd 524288 262144", "-c", "read -P 0xab 0 65536", uri), 60);
                assertThat(after.exitCode()).as(after.output()).isZero();
            } finally {
                server.close();
                disk.close();
                store.close();
            }
        }
    }
}
