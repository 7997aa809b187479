package io.bootswarm.agent.fuse;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.fuse.FuseTestSupport.ImageSource;
import io.bootswarm.agent.fuse.FuseTestSupport.Result;
import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.common.manifest.Manifest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.bootswarm.agent.fuse.FuseTestSupport.ls;
import static io.bootswarm.agent.fuse.FuseTestSupport.run;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A real FUSE mount of virtual disks (over a piece store fed by an in-memory swarm), driven by
 * coreutils ({@code cmp}, {@code dd}, {@code stat}, {@code truncate}, {@code sync}, {@code ls}) and
 * by Java file I/O through the kernel. Without FUSE on the host every test fails, saying what to install.
 */
class FuseMountIT {

    static final int PIECE = 64 * 1024;
    static final int SIZE = 40 * PIECE + 3 * 512; // whole sectors, not whole pieces

    @TempDir
    Path dir;

    Path imageFile;
    byte[] image;
    Manifest manifest;
    PieceStore store;
    ImageSource source;
    final Map<UUID, BlockDevice> devices = new ConcurrentHashMap<>();
    final List<AutoCloseable> closeables = new ArrayList<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    FuseMount mount;
    UUID id;
    VirtualDisk disk;
    Path file;

    @BeforeAll
    static void requireFuse() {
        FuseTestSupport.requireFuse();
    }

    @BeforeEach
    void setUp() throws IOException {
        image = FuseTestSupport.image(SIZE, PIECE, 11);
        imageFile = Files.write(dir.resolve("image.raw"), image);
        manifest = FuseTestSupport.manifest(imageFile, PIECE);
        store = PieceStore.open(dir.resolve("pieces"), PIECE, Duration.ofHours(1));
        source = new ImageSource(imageFile, manifest, store);
        id = UUID.randomUUID();
        disk = addDisk(id);
        mount = new FuseMount(FuseProperties.at(dir.resolve("mnt")), DiskCatalog.of(devices), meters).start();
        file = mount.pathOf(id).orElseThrow();
    }

    VirtualDisk addDisk(UUID diskId) throws IOException {
        VirtualDisk d = FuseTestSupport.disk(source, dir.resolve("disks").resolve(diskId.toString()));
        closeables.add(d);
        devices.put(diskId, d);
        return d;
    }

    @AfterEach
    void tearDown() throws Exception {
        if (mount != null) {
            mount.close();
            assertThat(MountTable.at(mount.mountPoint())).as("unmounted").isEmpty();
        }
        for (AutoCloseable c : closeables.reversed()) {
            c.close();
        }
        store.close();
    }

    @Test
    void theFileIsTheWholeImageAtOnceAndCmpAgreesWithTheImage() throws Exception {
        assertThat(file).isEqualTo(mount.mountPoint().resolve(id.toString()).resolve("disk.img"));
        assertThat(ls(mount.mountPoint())).containsExactly(id.toString());
        assertThat(ls(file.getParent())).containsExactly("disk.img");
        Result stat = run("stat", "-c", "%s %F %a %u", file.toString());
        assertThat(stat.output().strip()).isEqualTo(SIZE + " regular file 600 " + processUid());
        assertThat(Files.size(file)).isEqualTo(SIZE);
        assertThat(source.fetched).as("nothing fetched before the first read").isEmpty();

        Result cmp = run("cmp", file.toString(), imageFile.toString());
        assertThat(cmp.exitCode()).as(cmp.output()).isZero();
        assertThat(cmp.output()).isEmpty();
        long nonZero = java.util.stream.IntStream.range(0, manifest.pieceCount()).filter(i -> !manifest.isZero(i)).count();
        assertThat(source.fetched).as("each non-zero piece fetched once, zero pieces never").hasSize((int) nonZero)
                .doesNotHaveDuplicates();

        assertThat(meters.get("bootswarm.fuse.read.bytes").functionCounter().count()).isGreaterThanOrEqualTo(SIZE);
        assertThat(meters.get("bootswarm.fuse.requests").tag("op", "read").functionCounter().count()).isPositive();
        assertThat(meters.get("bootswarm.fuse.read.time").functionTimer().count()).isPositive();
        assertThat(meters.get("bootswarm.fuse.errors").tag("error", "EIO").functionCounter().count()).isZero();
    }

    @Test
    void unalignedWritesReadBackThroughTheMountAndTheDeviceAndTheBaseStaysUnchanged() throws Exception {
        String imageSha = sha256(imageFile);
        byte[] expected = image.clone();
        Random r = new Random(5);
        // in a zero piece, across a piece boundary, across a 4 KiB cluster, up to the last byte
        long[][] writes = {{1, 777}, {PIECE - 7, 10_007}, {5L * PIECE + 4095, 2}, {SIZE - 100, 100}, {123_457, 70_001}};
        for (long[] w : writes) {
            byte[] patch = new byte[(int) w[1]];
            r.nextBytes(patch);
            Path p = Files.write(dir.resolve("patch"), patch);
            Result dd = run("dd", "if=" + p, "of=" + file, "bs=" + patch.length, "count=1", "seek=" + w[0],
                    "oflag=seek_bytes", "conv=notrunc,fsync", "status=none");
            assertThat(dd.exitCode()).as(dd.output()).isZero();
            System.arraycopy(patch, 0, expected, (int) w[0], patch.length);
        }
        assertThat(run("sync", file.toString()).exitCode()).isZero();
        Path expectedFile = Files.write(dir.resolve("expected.raw"), expected);

        Result cmp = run("cmp", file.toString(), expectedFile.toString());
        assertThat(cmp.exitCode()).as("read back through the mount: " + cmp.output()).isZero();
        assertThat(read(disk, 0, SIZE)).as("read back through the device").isEqualTo(expected);
        assertThat(Files.size(file)).isEqualTo(SIZE);

        // fsync made them durable: the overlay reopened as after a crash (no close, no flush) has them
        assertThat(read(reopen(), 0, SIZE)).as("fsynced writes survive a reopen").isEqualTo(expected);

        // the base is unchanged: a second disk of the image over the same store reads the image
        UUID other = UUID.randomUUID();
        addDisk(other);
        Result cmpOther = run("cmp", mount.pathOf(other).orElseThrow().toString(), imageFile.toString());
        assertThat(cmpOther.exitCode()).as("another disk of the same image: " + cmpOther.output()).isZero();
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!manifest.isZero(i) && store.contains(manifest.hash(i))) {
                ByteBuffer b = ByteBuffer.allocate(manifest.pieceLength(i));
                store.read(manifest.hash(i), 0, b);
                assertThat(b.array()).as("piece %d in the store", i).isEqualTo(
                        Arrays.copyOfRange(image, (int) manifest.pieceOffset(i), (int) manifest.pieceOffset(i) + b.capacity()));
            }
        }
        assertThat(sha256(imageFile)).isEqualTo(imageSha);
        assertThat(meters.get("bootswarm.fuse.written.bytes").functionCounter().count())
                .isEqualTo(Arrays.stream(writes).mapToLong(w -> w[1]).sum());
    }

    /**
     * What a hypervisor does: QEMU's raw driver on the file, with its default cache (writeback: no
     * O_DIRECT; the file bypasses the host page cache anyway) and thread-pool AIO.
     */
    @Test
    void qemuOpensTheFileAsARawImage() throws Exception {
        requireQemu();
        Result info = run("qemu-img", "info", "--output=json", "-f", "raw", file.toString());
        assertThat(info.exitCode()).as(info.output()).isZero();
        assertThat(info.output()).contains("\"virtual-size\": " + SIZE);
        Result compare = run("qemu-img", "compare", "-f", "raw", "-F", "raw", file.toString(), imageFile.toString());
        assertThat(compare.exitCode()).as(compare.output()).isZero();
        Result io = run("qemu-io", "-f", "raw", "-c", "aio_write -P 0xab 4097 65536", "-c", "aio_write -P 0xcd 1048576 131072",
                "-c", "aio_flush", "-c", "read -P 0xab 4097 65536", "-c", "read -P 0xcd 1048576 131072",
                "-c", "write -P 0xef " + (SIZE - 512) + " 512", "-c", "flush", file.toString());
        assertThat(io.exitCode()).as(io.output()).isZero();
        assertThat(io.output()).doesNotContain("Pattern verification failed").doesNotContain("error");
        byte[] expected = image.clone();
        Arrays.fill(expected, 4097, 4097 + 65536, (byte) 0xab);
        Arrays.fill(expected, 1048576, 1048576 + 131072, (byte) 0xcd);
        Arrays.fill(expected, SIZE - 512, SIZE, (byte) 0xef);
        assertThat(read(reopen(), 0, SIZE)).as("flushed by qemu, read from the reopened overlay").isEqualTo(expected);
    }

    /**
     * QEMU with {@code cache=none} opens the file O_DIRECT and, unable to probe an alignment on FUSE,
     * assumes 4 KiB: the disk must be whole 4 KiB blocks for it to write (qemu's "Image size is not a
     * multiple of request alignment" otherwise). Native AIO needs O_DIRECT.
     */
    @Test
    void qemuWithCacheNoneAndNativeAioOnADiskOfWhole4KiBBlocks() throws Exception {
        requireQemu();
        int size = 24 * PIECE + 4096;
        byte[] other = FuseTestSupport.image(size, PIECE, 12);
        Path otherFile = Files.write(dir.resolve("other.raw"), other);
        ImageSource otherSource = new ImageSource(otherFile, FuseTestSupport.manifest(otherFile, PIECE), store);
        UUID otherId = UUID.randomUUID();
        VirtualDisk otherDisk = FuseTestSupport.disk(otherSource, dir.resolve("disks").resolve(otherId.toString()));
        closeables.add(otherDisk);
        devices.put(otherId, otherDisk);
        Path path = mount.pathOf(otherId).orElseThrow();

        Result compare = run("qemu-img", "compare", "-f", "raw", "-F", "raw", "-T", "none", path.toString(),
                otherFile.toString());
        assertThat(compare.exitCode()).as(compare.output()).isZero();
        Result io = run("qemu-io", "-f", "raw", "-t", "none", "-i", "native",
                "-c", "aio_write -P 0xab 4096 65536", "-c", "aio_write -P 0xcd 1048576 131072", "-c", "aio_flush",
                "-c", "read -P 0xab 4096 65536", "-c", "read -P 0xcd 1048576 131072", path.toString());
        assertThat(io.exitCode()).as(io.output()).isZero();
        assertThat(io.output()).doesNotContain("Pattern verification failed").doesNotContain("error");
        byte[] expected = other.clone();
        Arrays.fill(expected, 4096, 4096 + 65536, (byte) 0xab);
        Arrays.fill(expected, 1048576, 1048576 + 131072, (byte) 0xcd);
        assertThat(read(otherDisk, 0, size)).isEqualTo(expected);
    }

    static void requireQemu() {
        for (String tool : List.of("qemu-img", "qemu-io")) {
            assertThat(FuseTestSupport.find(tool)).as(tool + " is missing: apt-get install -y qemu-utils").isNotNull();
        }
    }

    @Test
    void fsyncAndTheLastCloseMakeWritesDurableAndNothingElseDoes() throws Exception {
        byte[] a = filled(5000, 0x7e);
        byte[] b = filled(3000, 0x5a);
        byte[] c = filled(7000, 0x33);
        long at = 3L * PIECE + 11;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(a), at);
            ch.force(false); // fdatasync
            ch.write(ByteBuffer.wrap(b), at + 20_000);
            // the overlay reopened as after a crash: what was fsynced is there, the rest is not (yet)
            VirtualDisk crashed = reopen();
            assertThat(read(crashed, at, a.length)).as("fsynced").isEqualTo(a);
            assertThat(read(crashed, at + 20_000, b.length)).as("not fsynced")
                    .isEqualTo(Arrays.copyOfRange(image, (int) at + 20_000, (int) at + 20_000 + b.length));
            assertThat(read(disk, at + 20_000, b.length)).as("but the disk has it").isEqualTo(b);
        } // close(): FUSE FLUSH of a descriptor that wrote
        assertThat(read(reopen(), at + 20_000, b.length)).as("written, then closed").isEqualTo(b);

        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.DSYNC)) {
            ch.write(ByteBuffer.wrap(c), at + 40_000);
            assertThat(read(reopen(), at + 40_000, c.length)).as("O_DSYNC: durable when write returns").isEqualTo(c);
        }
    }

    VirtualDisk reopen() throws IOException {
        VirtualDisk d = FuseTestSupport.disk(source, dir.resolve("disks").resolve(id.toString()));
        closeables.add(d);
        return d;
    }

    static byte[] filled(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return b;
    }

    @Test
    void disksAddedAfterTheMountAppearAndRemovedOnesVanish() throws Exception {
        UUID later = UUID.randomUUID();
        assertThat(mount.pathOf(later)).isEmpty();
        assertThat(Files.exists(mount.mountPoint().resolve(later.toString()))).isFalse(); // a negative lookup first
        addDisk(later);
        Path laterFile = mount.pathOf(later).orElseThrow();
        assertThat(ls(mount.mountPoint())).containsExactlyInAnyOrder(id.toString(), later.toString());
        Result cmp = run("cmp", laterFile.toString(), imageFile.toString());
        assertThat(cmp.exitCode()).as(cmp.output()).isZero();

        devices.remove(later);
        assertThat(mount.pathOf(later)).isEmpty();
        assertThat(ls(mount.mountPoint())).as("listings are never cached").containsExactly(id.toString());
        // a name looked up before may be cached by the kernel for attribute-timeout (1 s): the kernel's
        // clock, not ours, so this waits for the lookup to fail rather than moving a clock
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            Result stat = run("stat", laterFile.toString());
            assertThat(stat.exitCode()).as(stat.output()).isNotZero();
            assertThat(stat.output()).contains("No such file or directory");
        });
    }

    @Test
    void unknownPathsAreEnoentAndNothingCanBeCreated() throws Exception {
        Path mnt = mount.mountPoint();
        for (Path p : List.of(mnt.resolve("nope"), mnt.resolve(UUID.randomUUID().toString()),
                mnt.resolve(UUID.randomUUID().toString()).resolve("disk.img"), mnt.resolve(id.toString()).resolve("other.img"),
                mnt.resolve(id.toString().toUpperCase()).resolve("disk.img"), file.resolve("below"))) {
            Result stat = run("stat", p.toString());
            assertThat(stat.exitCode()).as(p.toString()).isNotZero();
            assertThat(stat.output()).as(p.toString()).containsAnyOf("No such file or directory", "Not a directory");
        }
        assertThatThrownBy(() -> Files.readAllBytes(mnt.resolve(id.toString()).resolve("x"))).isInstanceOf(NoSuchFileException.class);
        assertThat(run("touch", mnt.resolve(id.toString()).resolve("new").toString()).ok()).isFalse();
        assertThat(run("mkdir", mnt.resolve("dir").toString()).ok()).isFalse();
        assertThat(run("rm", "-f", file.toString()).ok()).isFalse();
        assertThat(run("mv", file.toString(), file.resolveSibling("moved.img").toString()).ok()).isFalse();
        assertThat(ls(file.getParent())).containsExactly("disk.img");
        assertThat(meters.get("bootswarm.fuse.errors").tag("error", "ENOENT").functionCounter().count()).isPositive();
    }

    @Test
    void theFileNeverChangesSize() throws Exception {
        assertThat(run("truncate", "-s", Long.toString(SIZE), file.toString()).exitCode()).as("same size").isZero();
        Result shrink = run("truncate", "-s", "4096", file.toString());
        assertThat(shrink.exitCode()).isNotZero();
        assertThat(shrink.output()).contains("Invalid argument");
        Result grow = run("truncate", "-s", Long.toString(2L * SIZE), file.toString());
        assertThat(grow.output()).contains("Invalid argument");
        Result clobber = run("sh", "-c", ": > '" + file + "'");
        assertThat(clobber.exitCode()).as("O_TRUNC refused").isNotZero();

        Result pastEnd = run("dd", "if=/dev/zero", "of=" + file, "bs=512", "count=1", "seek=" + SIZE,
                "oflag=seek_bytes", "conv=notrunc", "status=none");
        assertThat(pastEnd.exitCode()).isNotZero();
        assertThat(pastEnd.output()).contains("No space left on device");
        // a write running past the end writes up to the end, then no further
        Result straddling = run("dd", "if=/dev/zero", "of=" + file, "bs=300", "count=1", "seek=" + (SIZE - 100),
                "oflag=seek_bytes", "conv=notrunc", "status=none");
        assertThat(straddling.exitCode()).isNotZero();
        assertThat(straddling.output()).contains("No space left on device");

        assertThat(Files.size(file)).isEqualTo(SIZE);
        byte[] expected = image.clone();
        Arrays.fill(expected, SIZE - 100, SIZE, (byte) 0);
        assertThat(read(disk, 0, SIZE)).isEqualTo(expected);
        assertThat(meters.get("bootswarm.fuse.errors").tag("error", "EINVAL").functionCounter().count()).isPositive();
        assertThat(meters.get("bootswarm.fuse.errors").tag("error", "ENOSPC").functionCounter().count()).isPositive();
    }

    @Test
    void readsAtAndPastTheEndReturnWhatIsThereLikeAFile() throws Exception {
        try (FileChannel ch = FileChannel.open(file)) {
            assertThat(ch.size()).isEqualTo(SIZE);
            assertThat(ch.read(ByteBuffer.allocate(100), SIZE)).isEqualTo(-1);
            assertThat(ch.read(ByteBuffer.allocate(100), SIZE + 12345L)).isEqualTo(-1);
            ByteBuffer tail = ByteBuffer.allocate(100);
            assertThat(ch.read(tail, SIZE - 10)).isEqualTo(10);
            assertThat(Arrays.copyOf(tail.array(), 10)).isEqualTo(Arrays.copyOfRange(image, SIZE - 10, SIZE));
        }
        Result dd = run("dd", "if=" + file, "of=/dev/null", "bs=1M", "skip=" + SIZE, "iflag=skip_bytes");
        assertThat(dd.exitCode()).as(dd.output()).isZero();
        assertThat(dd.output()).contains("0 bytes");
    }

    @Test
    void aReadWaitsOnlyForTheMissingPiecesItCovers() throws Exception {
        int slow = 4; // not a zero piece
        int other = 7;
        assertThat(manifest.isZero(slow) || manifest.isZero(other)).isFalse();
        CountDownLatch requested = source.hold(slow);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor();
             FileChannel ch = FileChannel.open(file)) {
            Future<byte[]> waiting = pool.submit(() -> readChannel(ch, (long) slow * PIECE + 100, 1000));
            assertThat(requested.await(10, TimeUnit.SECONDS)).as("the read asked for its piece").isTrue();
            // while that read waits, another of a piece also missing, and of a zero piece, go through
            assertThat(readChannel(ch, (long) other * PIECE, PIECE))
                    .isEqualTo(Arrays.copyOfRange(image, other * PIECE, (other + 1) * PIECE));
            assertThat(readChannel(ch, 0, 4096)).isEqualTo(new byte[4096]);
            assertThat(waiting.isDone()).as("still waiting for its piece").isFalse();
            source.release(slow);
            assertThat(waiting.get(10, TimeUnit.SECONDS))
                    .isEqualTo(Arrays.copyOfRange(image, slow * PIECE + 100, slow * PIECE + 1100));
        } finally {
            source.release(slow);
        }
    }

    @Test
    void concurrentReadersThroughTheMountSeeTheImage() throws Exception {
        try (ExecutorService pool = Executors.newFixedThreadPool(16)) {
            List<Future<?>> reads = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                long seed = t;
                reads.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    try (FileChannel ch = FileChannel.open(file)) {
                        for (int i = 0; i < 50; i++) {
                            int len = 1 + r.nextInt(3 * PIECE);
                            int off = r.nextInt(SIZE - len);
                            assertThat(readChannel(ch, off, len)).isEqualTo(Arrays.copyOfRange(image, off, off + len));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : reads) {
                f.get(60, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void aFailingDeviceIsAnIoErrorAndTheMountCarriesOn() throws Exception {
        UUID broken = UUID.randomUUID();
        devices.put(broken, new BlockDevice() {
            @Override
            public long size() {
                return 1 << 20;
            }

            @Override
            public void read(long offset, ByteBuffer dst) throws IOException {
                throw new IOException("no peer has piece " + offset / PIECE);
            }

            @Override
            public void write(long offset, ByteBuffer src) throws IOException {
                throw new IOException("overlay full");
            }

            @Override
            public void writeZeroes(long offset, long length) throws IOException {
                throw new IOException("overlay full");
            }

            @Override
            public void flush() throws IOException {
                throw new IOException("overlay gone");
            }
        });
        Path brokenFile = mount.pathOf(broken).orElseThrow();
        Result cat = run("cat", brokenFile.toString());
        assertThat(cat.exitCode()).isNotZero();
        assertThat(cat.output()).contains("Input/output error");
        Result dd = run("dd", "if=/dev/zero", "of=" + brokenFile, "bs=4096", "count=1", "conv=notrunc,fsync", "status=none");
        assertThat(dd.exitCode()).isNotZero();
        assertThat(dd.output()).contains("Input/output error");
        assertThat(meters.get("bootswarm.fuse.errors").tag("error", "EIO").functionCounter().count()).isGreaterThanOrEqualTo(2);
        Result cmp = run("cmp", file.toString(), imageFile.toString());
        assertThat(cmp.exitCode()).as(cmp.output()).isZero();
    }

    @Test
    void aFileOpenWhenItsDiskGoesKeepsItsDeviceUntilClosed() throws Exception {
        try (FileChannel ch = FileChannel.open(file)) {
            devices.remove(id);
            assertThat(readChannel(ch, PIECE, 100)).isEqualTo(Arrays.copyOfRange(image, PIECE, PIECE + 100));
            assertThat(mount.openFiles()).isEqualTo(1);
        }
        // the kernel sends RELEASE after close() has returned
        await().until(() -> mount.openFiles() == 0);
        assertThat(meters.get("bootswarm.fuse.open.files").gauge().value()).isZero();
    }

    @Test
    void aLiveMountIsNotTakenOver() {
        FuseMount second = new FuseMount(FuseProperties.at(mount.mountPoint()), DiskCatalog.of(Map.of()), null);
        assertThatThrownBy(second::start).isInstanceOf(IOException.class).hasMessageContaining("already mounted");
        assertThat(mount.isMounted()).isTrue();
        assertThat(Files.exists(file)).isTrue();
    }

    @Test
    void aStaleMountLeftByAKilledAgentIsDetachedAtStart() throws Exception {
        Path mnt = dir.resolve("stale");
        Process child = StaleMountHelper.start(mnt);
        try {
            child.destroyForcibly().waitFor(10, TimeUnit.SECONDS); // SIGKILL: no unmount
            assertThat(MountTable.at(mnt)).as("the dead agent's mount is still there").isPresent();
            Result stat = run("stat", mnt.toString());
            assertThat(stat.output()).contains("Transport endpoint is not connected");

            try (FuseMount again = new FuseMount(FuseProperties.at(mnt), DiskCatalog.of(devices), null).start()) {
                Result cmp = run("cmp", again.pathOf(id).orElseThrow().toString(), imageFile.toString());
                assertThat(cmp.exitCode()).as(cmp.output()).isZero();
            }
            assertThat(MountTable.at(mnt)).isEmpty();
        } finally {
            child.destroyForcibly();
            if (MountTable.at(mnt).isPresent()) {
                MountTable.unmountLazily(mnt);
            }
        }
    }

    static byte[] read(BlockDevice d, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        d.read(offset, b);
        return b.array();
    }

    static byte[] readChannel(FileChannel ch, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        while (b.hasRemaining()) {
            int n = ch.read(b, offset + b.position());
            if (n < 0) {
                break;
            }
        }
        return Arrays.copyOf(b.array(), b.position());
    }

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    static int processUid() throws IOException {
        return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid");
    }
}
