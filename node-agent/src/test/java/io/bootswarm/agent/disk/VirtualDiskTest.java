package io.bootswarm.agent.disk;

import io.bootswarm.testing.ManualClock;

import io.bootswarm.agent.nbd.FileRegions;
import io.bootswarm.common.manifest.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

class VirtualDiskTest {

    static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    final byte[] image = TestImages.image(20 * PIECE + 12345, PIECE, 7);
    final Manifest manifest = TestImages.manifest(image, PIECE);

    /** A source that serves pieces from the in-memory image and counts what it was asked for. */
    final class CountingSource implements PieceSource {
        final List<Integer> fetched = new CopyOnWriteArrayList<>();
        PieceStore store;

        @Override
        public void require(int piece) throws IOException {
            fetched.add(piece);
            int off = piece * PIECE;
            int len = manifest.pieceLength(piece);
            store.put(VerifiedPiece.verify(manifest.hash(piece), Arrays.copyOfRange(image, off, off + len), len)
                    .orElseThrow());
        }
    }

    VirtualDisk open(PieceStore store, CountingSource source, String name) throws IOException {
        source.store = store;
        return VirtualDisk.open(manifest, store, source, dir.resolve(name), VirtualDisk.AccessListener.NONE);
    }

    static byte[] read(VirtualDisk d, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        d.read(offset, b);
        assertThat(b.hasRemaining()).isFalse();
        return b.array();
    }

    @Test
    void readsEqualTheImageAndFetchOnlyTheNonZeroPiecesTheyCover() throws IOException {
        lastSource = new CountingSource();
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
             VirtualDisk disk = open(store, lastSource, "d")) {
            assertThat(read(disk, PIECE + 10, 100)).isEqualTo(Arrays.copyOfRange(image, PIECE + 10, PIECE + 110));
            assertThat(read(disk, 0, 1000)).isEqualTo(Arrays.copyOf(image, 1000)); // piece 0 is zero: no fetch
            assertThat(read(disk, 2 * PIECE - 5, 10)).isEqualTo(Arrays.copyOfRange(image, 2 * PIECE - 5, 2 * PIECE + 5));
            assertThat(read(disk, 0, image.length)).isEqualTo(image);
            Set<Integer> nonZero = new HashSet<>();
            for (int i = 0; i < manifest.pieceCount(); i++) {
                if (!manifest.isZero(i)) {
                    nonZero.add(i);
                }
            }
            assertThat(new HashSet<>(lastSource.fetched)).isEqualTo(nonZero);
            assertThat(lastSource.fetched).doesNotHaveDuplicates();
            assertThat(disk.missingPieces()).isZero();
        }
    }

    private CountingSource lastSource;

    @Test
    void writesAreSeenByLaterReadsAndTheStoreIsNeverChanged() throws IOException {
        lastSource = new CountingSource();
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
             VirtualDisk disk = open(store, lastSource, "d")) {
            byte[] expected = image.clone();
            Random r = new Random(3);
            for (int i = 0; i < 200; i++) {
                int len = 1 + r.nextInt(20_000);
                int off = r.nextInt(image.length - len);
                byte[] data = new byte[len];
                r.nextBytes(data);
                disk.write(off, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, expected, off, len);
            }
            disk.writeZeroes(3 * PIECE + 7, 5000);
            Arrays.fill(expected, 3 * PIECE + 7, 3 * PIECE + 5007, (byte) 0);
            assertThat(read(disk, 0, image.length)).isEqualTo(expected);
            // the base pieces in the store still hold the original bytes
            for (int i = 0; i < manifest.pieceCount(); i++) {
                if (!manifest.isZero(i) && store.contains(manifest.hash(i))) {
                    ByteBuffer b = ByteBuffer.allocate(manifest.pieceLength(i));
                    store.read(manifest.hash(i), 0, b);
                    assertThat(b.array()).isEqualTo(Arrays.copyOfRange(image, i * PIECE, i * PIECE + b.capacity()));
                }
            }
        }
    }

    @Test
    void flushedWritesSurviveReopenAndUnflushedOnesDoNot() throws IOException {
        lastSource = new CountingSource();
        byte[] a = new byte[5000];
        Arrays.fill(a, (byte) 0xab);
        byte[] b = new byte[5000];
        Arrays.fill(b, (byte) 0xcd);
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1))) {
            VirtualDisk disk = open(store, lastSource, "d");
            disk.write(PIECE + 100, ByteBuffer.wrap(a));
            disk.flush();
            disk.write(5 * PIECE, ByteBuffer.wrap(b)); // never flushed; the disk is dropped as if the agent died
            VirtualDisk again = VirtualDisk.open(manifest, store, lastSource, dir.resolve("d"),
                    VirtualDisk.AccessListener.NONE);
            assertThat(read(again, PIECE + 100, 5000)).isEqualTo(a);
            assertThat(read(again, 5 * PIECE, 5000)).isEqualTo(Arrays.copyOfRange(image, 5 * PIECE, 5 * PIECE + 5000));
            again.close();
        }
    }

    @Test
    void theDiskIsWholeSectorsWithAZeroTailAndItsRegionsHoldTheSameBytesAsItsReads() throws IOException {
        lastSource = new CountingSource();
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
             VirtualDisk disk = open(store, lastSource, "d")) {
            long padded = (image.length + 511) / 512 * 512;
            assertThat(disk.size()).isEqualTo(padded).isGreaterThan(image.length);
            assertThat(disk.regions(PIECE, 100)).as("piece 1 is not here yet: no regions").isEmpty();
            assertThat(lastSource.fetched).isEmpty();

            byte[] tail = read(disk, image.length - 10, (int) (padded - image.length + 10));
            assertThat(Arrays.copyOf(tail, 10)).isEqualTo(Arrays.copyOfRange(image, image.length - 10, image.length));
            assertThat(Arrays.copyOfRange(tail, 10, tail.length)).containsOnly(0);

            byte[] pattern = new byte[6000];
            Arrays.fill(pattern, (byte) 0x5c);
            disk.write(2 * PIECE - 3000, ByteBuffer.wrap(pattern));
            disk.write(padded - 100, ByteBuffer.wrap(new byte[]{1, 2, 3}));
            byte[] expected = Arrays.copyOf(image, (int) padded);
            System.arraycopy(pattern, 0, expected, 2 * PIECE - 3000, pattern.length);
            expected[(int) padded - 100] = 1;
            expected[(int) padded - 99] = 2;
            expected[(int) padded - 98] = 3;
            assertThat(read(disk, 0, (int) padded)).isEqualTo(expected);

            for (long[] range : new long[][]{{0, (int) padded}, {PIECE - 7, 3 * PIECE}, {padded - 4096, 4096}}) {
                List<FileRegions.Region> regions = disk.regions(range[0], (int) range[1]).orElseThrow();
                ByteBuffer got = ByteBuffer.allocate((int) range[1]);
                for (FileRegions.Region r : regions) {
                    if (r.file() == null) {
                        got.put(new byte[r.length()]);
                    } else {
                        ByteBuffer b = ByteBuffer.allocate(r.length());
                        r.file().read(b, r.position());
                        got.put(b.flip());
                    }
                }
                assertThat(got.hasRemaining()).isFalse();
                assertThat(got.array()).isEqualTo(
                        Arrays.copyOfRange(expected, (int) range[0], (int) (range[0] + range[1])));
            }
        }
    }

    @Test
    void concurrentReadersOfOneMissingPieceShareOneFetch() throws Exception {
        lastSource = new CountingSource();
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
             var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            // a source that dedups like the swarm does is the swarm's job; here each read of a
            // present piece must not fetch again
            VirtualDisk disk = open(store, lastSource, "d");
            read(disk, PIECE, 10);
            List<Future<byte[]>> reads = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 50; i++) {
                reads.add(pool.submit(() -> read(disk, PIECE, PIECE)));
            }
            for (Future<byte[]> f : reads) {
                assertThat(f.get()).isEqualTo(Arrays.copyOfRange(image, PIECE, 2 * PIECE));
            }
            assertThat(Collections.frequency(lastSource.fetched, 1)).isEqualTo(1);
            disk.close();
        }
    }

    @Test
    void demandStatsCountTheReadsThatWaitedAndHowLongByTheInjectedClock() throws IOException {
        ManualClock clock = new ManualClock();
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1))) {
            CountingSource fetching = new CountingSource();
            fetching.store = store;
            PieceSource slow = piece -> {
                clock.advanceMillis(250); // the swarm takes a quarter of a second
                fetching.require(piece);
            };
            int piece = firstNonZeroPiece();
            try (VirtualDisk disk = VirtualDisk.open(manifest, store, slow, dir.resolve("timed"),
                    VirtualDisk.AccessListener.NONE, clock)) {
                read(disk, (long) piece * PIECE, 100);
                read(disk, (long) piece * PIECE + 100, 100); // now local: no wait
                assertThat(disk.demand().misses()).isEqualTo(1);
                assertThat(disk.demand().waitMillis(0.5)).isEqualTo(250.0);
                assertThat(disk.demand().totalWaitMillis()).isEqualTo(250.0);
            }
        }
    }

    int firstNonZeroPiece() {
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!manifest.isZero(i)) {
                return i;
            }
        }
        throw new IllegalStateException("an image of zeros");
    }
}
