package io.bootswarm.agent.disk;

import static io.bootswarm.agent.nbd.MetaContext.BASE_ALLOCATION;
import static io.bootswarm.agent.nbd.MetaContext.BOOTSWARM_PRESENT;
import static org.assertj.core.api.Assertions.assertThat;

import io.bootswarm.agent.nbd.Extent;
import io.bootswarm.common.manifest.Manifest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Block status of a {@link VirtualDisk}: base:allocation from the manifest's zero pieces and the
 * overlay (written clusters are data, WRITE_ZEROES and TRIM of written clusters are zero), merged
 * into maximal extents and cut to the range asked; bootswarm:present from the store.
 */
class VirtualDiskExtentsTest {

    static final int PIECE = 64 * 1024;
    static final int CLUSTER = 4096;
    static final int HOLE_ZERO = 3;

    @TempDir
    Path dir;

    /** 21 pieces, the last short; pieces 0, 3, ..., 18 are zero. */
    final byte[] image = TestImages.image(20 * PIECE + 12345, PIECE, 7);
    final Manifest manifest = TestImages.manifest(image, PIECE);
    PieceStore store;
    VirtualDisk disk;

    @BeforeEach
    void open() throws IOException {
        store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
        disk = VirtualDisk.open(manifest, store, piece -> store.put(VerifiedPiece.verify(manifest.hash(piece),
                Arrays.copyOfRange(image, piece * PIECE, piece * PIECE + manifest.pieceLength(piece)),
                manifest.pieceLength(piece)).orElseThrow()), dir.resolve("overlay"), VirtualDisk.AccessListener.NONE);
    }

    @AfterEach
    void close() throws IOException {
        disk.close();
        store.close();
    }

    /** Expected extents from the bytes themselves: a piece whose bytes are all zero is a hole. */
    List<Extent> fromImageBytes() {
        List<Extent> out = new ArrayList<>();
        for (int p = 0; p * PIECE < image.length; p++) {
            int from = p * PIECE;
            int to = Math.min(image.length, from + PIECE);
            boolean zero = Arrays.equals(image, from, to, new byte[to - from], 0, to - from);
            append(out, to - from, zero ? HOLE_ZERO : 0);
        }
        append(out, disk.size() - image.length, HOLE_ZERO);
        return out;
    }

    static void append(List<Extent> out, long length, int flags) {
        if (length == 0) {
            return;
        }
        if (!out.isEmpty() && out.getLast().flags() == flags) {
            out.set(out.size() - 1, new Extent(out.getLast().length() + length, flags));
        } else {
            out.add(new Extent(length, flags));
        }
    }

    @Test
    void allocationIsTheManifestsZeroPiecesMergedAndCutToTheRange() throws IOException {
        List<Extent> whole = disk.extents(0, disk.size(), BASE_ALLOCATION);
        assertThat(whole).isEqualTo(fromImageBytes());
        assertThat(whole.getFirst()).isEqualTo(new Extent(PIECE, HOLE_ZERO));
        assertThat(whole.get(1)).isEqualTo(new Extent(2 * PIECE, 0));
        assertThat(whole.stream().mapToLong(Extent::length).sum()).isEqualTo(disk.size());

        assertThat(disk.extents(100, 1000, BASE_ALLOCATION)).containsExactly(new Extent(1000, HOLE_ZERO));
        assertThat(disk.extents(0, disk.size(), BASE_ALLOCATION, 1)).containsExactly(new Extent(PIECE, HOLE_ZERO));
        assertThat(disk.extents(PIECE, disk.size() - PIECE, BASE_ALLOCATION, 2))
                .containsExactly(new Extent(2 * PIECE, 0), new Extent(PIECE, HOLE_ZERO));
        assertThat(disk.extents(PIECE - 10, 20, BASE_ALLOCATION))
                .containsExactly(new Extent(10, HOLE_ZERO), new Extent(10, 0));
    }

    @Test
    void writesAreDataAndWriteZeroesAndTrimOfWrittenClustersAreZero() throws IOException {
        byte[] ones = new byte[CLUSTER];
        Arrays.fill(ones, (byte) 1);
        disk.write(CLUSTER, ByteBuffer.wrap(ones));                 // into zero piece 0
        disk.writeZeroes(PIECE + 2 * CLUSTER, 2 * CLUSTER);          // whole clusters of data piece 1
        disk.writeZeroes(2 * PIECE + 100, 200);                      // part of a cluster: stays data
        assertThat(disk.extents(0, 3 * PIECE, BASE_ALLOCATION)).containsExactly(
                new Extent(CLUSTER, HOLE_ZERO), new Extent(CLUSTER, 0), new Extent(PIECE - 2 * CLUSTER, HOLE_ZERO),
                new Extent(2 * CLUSTER, 0), new Extent(2 * CLUSTER, HOLE_ZERO), new Extent(2 * PIECE - 4 * CLUSTER, 0));

        // zeroes the written clusters (the 1s, the copy-on-write one of piece 2); image data stays
        disk.trim(0, 3 * PIECE);
        assertThat(disk.extents(0, 3 * PIECE, BASE_ALLOCATION)).containsExactly(
                new Extent(PIECE, HOLE_ZERO), new Extent(2 * CLUSTER, 0), new Extent(2 * CLUSTER, HOLE_ZERO),
                new Extent(PIECE - 4 * CLUSTER, 0), new Extent(CLUSTER, HOLE_ZERO), new Extent(PIECE - CLUSTER, 0));
        byte[] back = new byte[3 * PIECE];
        disk.read(0, ByteBuffer.wrap(back));
        byte[] expected = Arrays.copyOf(image, 3 * PIECE);
        Arrays.fill(expected, PIECE + 2 * CLUSTER, PIECE + 4 * CLUSTER, (byte) 0);
        Arrays.fill(expected, 2 * PIECE, 2 * PIECE + CLUSTER, (byte) 0);
        assertThat(back).isEqualTo(expected);

        disk.write(PIECE + 2 * CLUSTER, ByteBuffer.wrap(ones)); // written over again: data
        assertThat(disk.extents(PIECE, PIECE, BASE_ALLOCATION)).containsExactly(
                new Extent(3 * CLUSTER, 0), new Extent(CLUSTER, HOLE_ZERO), new Extent(PIECE - 4 * CLUSTER, 0));
    }

    @Test
    void presentIsZeroPiecesStoredPiecesAndWrites() throws IOException {
        assertThat(disk.extents(0, 3 * PIECE, BOOTSWARM_PRESENT))
                .containsExactly(new Extent(PIECE, 1), new Extent(2 * PIECE, 0));
        disk.read(PIECE, ByteBuffer.allocate(10)); // fetches piece 1
        disk.write(2 * PIECE, ByteBuffer.wrap(new byte[CLUSTER])); // copy-on-write of a cluster of piece 2
        assertThat(disk.extents(0, 3 * PIECE, BOOTSWARM_PRESENT)).containsExactly(
                new Extent(2 * PIECE + CLUSTER, 1), new Extent(PIECE - CLUSTER, 0));
    }
}
