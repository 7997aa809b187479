package io.bootswarm.agent.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The server against real NBD clients: nbdinfo, nbdcopy (libnbd-bin) and qemu-img, qemu-io
 * (qemu-utils), over TCP and over the Unix socket. A missing tool fails the test with the command
 * to install it; nothing is skipped.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NbdServerIT {

    static final long IMAGE_SIZE = 72L << 20;
    static final long ODD_SIZE = (3L << 20) + 12_345; // not a multiple of 512
    static final int SCRATCH_SIZE = 16 << 20;

    Path dir;
    Path image;
    Path odd;
    Path scratch;
    Path target;
    Path socket;
    String imageSha;
    RecordingDevice scratchDevice;
    ExportRegistry exports;
    NbdServer server;
    List<FileBlockDevice> devices = new ArrayList<>();

    @BeforeAll
    void setUp(@TempDir Path tempDir) throws Exception {
        dir = tempDir;
        ExternalTools.require("nbdinfo", "nbdcopy", "qemu-img", "qemu-io");
        image = dir.resolve("image.raw");
        writeImage(image, IMAGE_SIZE, 1);
        imageSha = sha256(image);
        odd = dir.resolve("odd.raw");
        writeImage(odd, ODD_SIZE, 2);
        scratch = dir.resolve("scratch.raw");
        Files.write(scratch, new byte[SCRATCH_SIZE]);
        target = dir.resolve("target.raw");
        try (FileChannel ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ch.truncate(IMAGE_SIZE);
            ch.write(ByteBuffer.allocate(1), IMAGE_SIZE - 1);
        }

        exports = new ExportRegistry();
        exports.put("image", open(image, true));                       // reads by sendfile (FileRegions)
        exports.put("image-read", open(image, true).zeroCopy(false));  // reads through BlockDevice.read
        exports.put("odd", open(odd, true));
        scratchDevice = new RecordingDevice(open(scratch, false));
        exports.put("scratch", scratchDevice);
        exports.put("target", open(target, false));
        socket = dir.resolve("nbd.sock");
        server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0).withUnixSocket(socket), exports).start();
    }

    @AfterAll
    void tearDown() throws IOException {
        if (server != null) {
            server.close();
        }
        for (FileBlockDevice d : devices) {
            d.close();
        }
    }

    private FileBlockDevice open(Path file, boolean readOnly) throws IOException {
        FileBlockDevice d = readOnly ? FileBlockDevice.openReadOnly(file) : FileBlockDevice.open(file);
        devices.add(d);
        return d;
    }

    String tcp(String export) {
        return "nbd://127.0.0.1:" + server.tcpPort() + "/" + export;
    }

    String unix(String export) {
        return "nbd+unix:///" + export + "?socket=" + socket;
    }

    // --- nbdinfo -----------------------------------------------------------------------------

    @Test
    void nbdinfoReportsTheSizeOverTcpAndUnixSocket() throws Exception {
        assertThat(run("nbdinfo", "--size", tcp("image")).trim()).isEqualTo(Long.toString(IMAGE_SIZE));
        assertThat(run("nbdinfo", "--size", unix("image")).trim()).isEqualTo(Long.toString(IMAGE_SIZE));
        assertThat(run("nbdinfo", "--size", tcp("odd")).trim()).isEqualTo(Long.toString(ODD_SIZE));
        assertThat(run("nbdinfo", "--size", unix("odd")).trim()).isEqualTo(Long.toString(ODD_SIZE));
        String info = run("nbdinfo", tcp("image"));
        assertThat(info).contains("can_flush: true", "can_fua: true", "can_trim: true", "can_zero: true",
                "can_multi_conn: true", "is_read_only: false", "block_size_minimum: 1",
                "block_size_preferred: 4096", "block_size_maximum: 33554432");
    }

    @Test
    void nbdinfoListsEveryExport() throws Exception {
        for (String uri : List.of("nbd://127.0.0.1:" + server.tcpPort(), "nbd+unix://?socket=" + socket)) {
            String list = run("nbdinfo", "--list", uri);
            Matcher m = Pattern.compile("(?m)^export=\"([^\"]*)\":").matcher(list);
            List<String> names = new ArrayList<>();
            while (m.find()) {
                names.add(m.group(1));
            }
            assertThat(names).as(list).containsExactlyInAnyOrder("image", "image-read", "odd", "scratch", "target");
            assertThat(list).contains("export-size: " + IMAGE_SIZE, "export-size: " + ODD_SIZE);
        }
    }

    // --- whole-image copies ------------------------------------------------------------------

    @Test
    void qemuImgConvertCopiesTheImageExactly() throws Exception {
        long zeroCopyBefore = server.stats().zeroCopyReads();
        for (String uri : List.of(tcp("image"), unix("image"), tcp("image-read"), unix("image-read"))) {
            Path out = dir.resolve("qemu.raw");
            run("qemu-img", "convert", "-f", "raw", "-O", "raw", uri, out.toString());
            assertThat(sha256(out)).as(uri).isEqualTo(imageSha);
            Files.delete(out);
        }
        assertThat(server.stats().zeroCopyReads() - zeroCopyBefore).isPositive();
    }

    @Test
    void nbdcopyCopiesTheImageExactly() throws Exception {
        for (String uri : List.of(tcp("image"), unix("image-read"))) {
            Path out = dir.resolve("nbdcopy.raw");
            run("nbdcopy", uri, out.toString());
            assertThat(sha256(out)).as(uri).isEqualTo(imageSha);
            Files.delete(out);
        }
        // over the Unix socket, and an export whose size is not a multiple of 512
        Path oddOut = dir.resolve("nbdcopy-odd.raw");
        run("nbdcopy", unix("odd"), oddOut.toString());
        assertThat(Files.size(oddOut)).isEqualTo(ODD_SIZE);
        assertThat(sha256(oddOut)).isEqualTo(sha256(odd));
    }

    @Test
    void nbdcopyWritesAWholeImageIntoAnExport() throws Exception {
        // nbdcopy uses several connections at once (CAN_MULTI_CONN) and many requests in flight
        run("nbdcopy", "--flush", image.toString(), tcp("target"));
        assertThat(sha256(target)).isEqualTo(imageSha);
    }

    // --- qemu-io -----------------------------------------------------------------------------

    @Test
    void qemuIoWritesAndReadsBackPatternsThatReachTheDevice() throws Exception {
        int flushesBefore = scratchDevice.flushes.get();
        String out = run("qemu-io", "-f", "raw", "-d", "unmap",
                "-c", "write -P 0xab 1001 5000",      // unaligned offset and length
                "-c", "read -P 0xab 1001 5000",
                "-c", "write -P 0x5c 8192 131072",    // aligned, 128 KiB
                "-c", "read -P 0x5c 8192 131072",
                "-c", "write -f -P 0xcd 300007 3",    // FUA, 3 bytes
                "-c", "read -P 0xcd 300007 3",
                "-c", "flush",
                "-c", "write -P 0xee 1048576 65536",
                "-c", "write -z 1048576 65536",       // NBD_CMD_WRITE_ZEROES over the 0xee block
                "-c", "read -P 0 1048576 65536",
                "-c", "write -P 0x77 2097152 65536",
                "-c", "discard 2097152 65536",        // NBD_CMD_TRIM
                "-c", "read -P 0xab 1001 5000",
                tcp("scratch"));
        assertThat(out).doesNotContain("failed", "error");
        assertThat(out).containsPattern("read 5000/5000 bytes at offset 1001[\\s\\S]*read 5000/5000 bytes at offset 1001");

        byte[] disk = Files.readAllBytes(scratch);
        assertRange(disk, 1001, 5000, 0xab);
        assertRange(disk, 8192, 131072, 0x5c);
        assertRange(disk, 300007, 3, 0xcd);
        assertRange(disk, 1048576, 65536, 0);
        assertRange(disk, 0, 1001, 0);
        assertRange(disk, 6001, 8192 - 6001, 0);
        assertThat(disk[300006]).isZero();
        assertThat(disk[300010]).isZero();
        assertThat(scratchDevice.zeroed).contains(new RecordingDevice.Range(1048576, 65536));
        assertThat(scratchDevice.trims).contains(new RecordingDevice.Range(2097152, 65536));
        // at least the FUA write and the explicit flush
        assertThat(scratchDevice.flushes.get() - flushesBefore).isGreaterThanOrEqualTo(2);

        // the same export over the Unix socket sees what was written
        String viaUnix = run("qemu-io", "-f", "raw", "-r", "-c", "read -P 0x5c 8192 131072", unix("scratch"));
        assertThat(viaUnix).contains("read 131072/131072 bytes at offset 8192");
    }

    @Test
    void qemuIoReportsAPatternMismatch() throws Exception {
        // the oracle itself must be able to fail: a wrong pattern gives a non-zero exit
        ExternalTools.Result r = ExternalTools.run(List.of("qemu-io", "-f", "raw", "-r",
                "-c", "read -P 0x42 0 512", tcp("image")), 60);
        assertThat(r.exitCode()).as(r.output()).isNotZero();
        assertThat(r.output()).contains("Pattern verification failed");
    }

    // --- helpers -----------------------------------------------------------------------------

    static void assertRange(byte[] disk, int offset, int length, int value) {
        byte[] expected = new byte[length];
        Arrays.fill(expected, (byte) value);
        assertThat(Arrays.copyOfRange(disk, offset, offset + length))
                .as("bytes [%d, %d) = 0x%02x", offset, offset + length, value).isEqualTo(expected);
    }

    static String run(String... command) throws Exception {
        ExternalTools.Result r = ExternalTools.run(List.of(command), 300);
        assertThat(r.exitCode()).as("%s%n%s", String.join(" ", command), r.output()).isZero();
        return r.output();
    }

    /** Random data with zero regions: whole MiBs, a sub-MiB run, and a zero tail. */
    static void writeImage(Path file, long size, long seed) throws IOException {
        Random rnd = new Random(seed);
        byte[] block = new byte[1 << 20];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long pos = 0; pos < size; pos += block.length) {
                long mib = pos >> 20;
                boolean zero = (mib >= 8 && mib < 16) || mib == 40 || (size > 16 << 20 && pos + (4 << 20) >= size);
                if (zero) {
                    Arrays.fill(block, (byte) 0);
                } else {
                    rnd.nextBytes(block);
                    if (mib == 20) {
                        Arrays.fill(block, 100_000, 300_000, (byte) 0);
                    }
                }
                ByteBuffer b = ByteBuffer.wrap(block, 0, (int) Math.min(block.length, size - pos));
                while (b.hasRemaining()) {
                    ch.write(b, pos + b.position());
                }
            }
        }
    }

    static String sha256(Path file) throws Exception {
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(md.digest());
    }
}
