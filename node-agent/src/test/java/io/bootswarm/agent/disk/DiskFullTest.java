package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.Manifest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The piece store and an overlay on a real, small file system that fills up: the writer gets
 * "No space left on device", nothing stored before is damaged, and once space is freed both work
 * again and everything verified before still verifies.
 */
class DiskFullTest {

    static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    final byte[] image = TestImages.image(40 * PIECE, PIECE, 11);
    final Manifest manifest = TestImages.manifest(image, PIECE);

    VerifiedPiece piece(int i) {
        int off = i * PIECE;
        return VerifiedPiece.verify(manifest.hash(i), Arrays.copyOfRange(image, off, off + PIECE), PIECE)
                .orElseThrow();
    }

    /** Reads piece {@code i} back and checks it against the manifest's hash, not against memory. */
    void assertVerifies(PieceStore s, int i) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(PIECE);
        s.read(manifest.hash(i), 0, b);
        assertThat(VerifiedPiece.verify(manifest.hash(i), b.array(), PIECE)).as("piece %d verifies", i).isPresent();
    }

    static byte[] read(VirtualDisk d, long offset, int length) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(length);
        d.read(offset, b);
        return b.array();
    }

    static ByteBuffer fill(int length, int value) {
        byte[] b = new byte[length];
        Arrays.fill(b, (byte) value);
        return ByteBuffer.wrap(b);
    }

    @Test
    void aFullFileSystemFailsTheWriterAndDamagesNothing() throws Exception {
        try (SmallFileSystem fs = SmallFileSystem.mount(dir.resolve("mnt"), 4)) {
            Path pieces = fs.path().resolve("pieces");
            Path overlay = fs.path().resolve("overlay");
            int[] before = {1, 2, 4, 5, 7, 8};
            PieceStore store = PieceStore.open(pieces, PIECE, Duration.ofHours(1));
            PieceSource source = p -> store.put(piece(p));
            VirtualDisk disk = VirtualDisk.open(manifest, store, source, overlay, VirtualDisk.AccessListener.NONE);
            for (int i : before) {
                store.put(piece(i));
            }
            disk.write(PIECE + 100, fill(10_000, 0xAB));
            disk.flush();
            store.sync();

            fs.fill();

            assertThatThrownBy(() -> store.put(piece(10))).isInstanceOf(IOException.class)
                    .hasMessageContaining("No space left on device");
            assertThatThrownBy(() -> store.put(piece(11))).isInstanceOf(IOException.class)
                    .hasMessageContaining("No space left on device");
            assertThatThrownBy(() -> disk.write(20L * PIECE, fill(256 * 1024, 0xCD)))
                    .isInstanceOf(IOException.class).hasMessageContaining("No space left on device");
            // what was there is still there
            assertThat(store.count()).isEqualTo(before.length);
            for (int i : before) {
                assertVerifies(store, i);
            }
            assertThat(read(disk, PIECE + 100, 10_000)).isEqualTo(fill(10_000, 0xAB).array());
            assertThat(read(disk, 2L * PIECE, PIECE)).isEqualTo(Arrays.copyOfRange(image, 2 * PIECE, 3 * PIECE));

            fs.free();

            assertThat(store.put(piece(10))).isTrue();
            assertThat(store.put(piece(11))).isTrue();
            disk.write(20L * PIECE, fill(256 * 1024, 0xCD));
            disk.flush();
            disk.close();
            store.close();

            try (PieceStore reopened = PieceStore.open(pieces, PIECE, Duration.ofHours(1))) {
                assertThat(reopened.count()).isEqualTo(before.length + 2);
                for (int i : before) {
                    assertVerifies(reopened, i);
                }
                assertVerifies(reopened, 10);
                assertVerifies(reopened, 11);
                try (VirtualDisk d = VirtualDisk.open(manifest, reopened, p -> reopened.put(piece(p)), overlay,
                        VirtualDisk.AccessListener.NONE)) {
                    assertThat(read(d, PIECE + 100, 10_000)).isEqualTo(fill(10_000, 0xAB).array());
                    assertThat(read(d, 20L * PIECE, 256 * 1024)).isEqualTo(fill(256 * 1024, 0xCD).array());
                    assertThat(read(d, 4L * PIECE, PIECE)).isEqualTo(Arrays.copyOfRange(image, 4 * PIECE, 5 * PIECE));
                }
            }
        }
    }
}
