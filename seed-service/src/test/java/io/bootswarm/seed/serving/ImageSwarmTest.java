package io.bootswarm.seed.serving;

import io.bootswarm.seed.allocation.PieceShaping;
import io.bootswarm.seed.catalog.ServableImage;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Arrays;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageSwarmTest {

    private static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final UploadLedger ledger = new UploadLedger(meters);
    private final ManualClock clock = new ManualClock();
    private final StoreIntegrity integrity = new StoreIntegrity(IntegritySettings.defaults(), meters, clock);

    private byte[] bytes;
    private ServableImage image;

    private ImageSwarm open(int size) throws IOException {
        bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        Path file = Files.write(dir.resolve("image.img"), bytes);
        image = new ServableImage(UUID.randomUUID(), "unit-image", size, PIECE, (size + PIECE - 1) / PIECE, file);
        return open(image);
    }

    private ImageSwarm open(ServableImage image) throws IOException {
        return ImageSwarm.open(image, ledger, PieceShaping.NONE, integrity.forImage(image, hashes(bytes, PIECE)).orElseThrow());
    }

    /** The manifest's SHA-256 of every piece of {@code content}. */
    static byte[] hashes(byte[] content, int pieceSize) {
        int pieces = (content.length + pieceSize - 1) / pieceSize;
        byte[] out = new byte[pieces * 32];
        for (int i = 0; i < pieces; i++) {
            try {
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                sha.update(content, i * pieceSize, Math.min(pieceSize, content.length - i * pieceSize));
                System.arraycopy(sha.digest(), 0, out, i * 32, 32);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    @Test
    void readsBlocksAtTheirPositionIncludingTheShortLastPiece() throws IOException {
        try (ImageSwarm swarm = open(3 * PIECE + 100)) {
            assertThat(swarm.pieceCount()).isEqualTo(4);
            assertThat(swarm.pieceLength(0)).isEqualTo(PIECE);
            assertThat(swarm.pieceLength(3)).isEqualTo(100);
            assertThat(swarm.available().isComplete()).isTrue();
            byte[] block = new byte[16384];
            swarm.readBlock(2, 16384, block, 16384);
            assertThat(block).isEqualTo(Arrays.copyOfRange(bytes, 2 * PIECE + 16384, 2 * PIECE + 32768));
            swarm.readBlock(3, 0, block, 100);
            assertThat(Arrays.copyOf(block, 100)).isEqualTo(Arrays.copyOfRange(bytes, 3 * PIECE, 3 * PIECE + 100));
        }
    }

    @Test
    void rejectsBlocksOutsideTheirPiece() throws IOException {
        try (ImageSwarm swarm = open(2 * PIECE + 10)) {
            byte[] block = new byte[16384];
            assertThatThrownBy(() -> swarm.readBlock(2, 0, block, 16384)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> swarm.readBlock(0, PIECE - 1, block, 2)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> swarm.readBlock(0, -1, block, 2)).isInstanceOf(IOException.class);
            assertThatThrownBy(() -> swarm.readBlock(5, 0, block, 2)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void countsUploadedBytesPerImageInTheLedgerAndTheMeter() throws IOException {
        try (ImageSwarm swarm = open(PIECE)) {
            swarm.uploaded(16384);
            swarm.uploaded(100);
            assertThat(ledger.uploadedBytes(image.id())).isEqualTo(16484);
            assertThat(ledger.uploadedBytes(UUID.randomUUID())).isZero();
            assertThat(ledger.totalUploadedBytes()).isEqualTo(16484);
            assertThat(meters.find(UploadLedger.METER).tag("image", "unit-image").functionCounter().count())
                    .isEqualTo(16484.0);
            ledger.forget(image.id());
            assertThat(meters.find(UploadLedger.METER).functionCounter()).isNull();
            assertThat(ledger.uploadedBytes(image.id())).isZero();
        }
    }

    @Test
    void aClosedSwarmRefusesReads() throws IOException {
        ImageSwarm swarm = open(PIECE);
        swarm.close();
        assertThatThrownBy(() -> swarm.readBlock(0, 0, new byte[16], 16)).isInstanceOf(IOException.class)
                .hasMessageContaining("no longer served");
    }

    @Test
    void survivesAnInterruptedReaderClosingTheSharedChannel() throws Exception {
        try (ImageSwarm swarm = open(PIECE)) {
            Thread t = new Thread(() -> {
                Thread.currentThread().interrupt();
                try {
                    swarm.readBlock(0, 0, new byte[16], 16);
                } catch (IOException expected) {
                    // ClosedByInterruptException: the channel is now closed for everyone
                }
            });
            t.start();
            t.join();
            byte[] block = new byte[16];
            swarm.readBlock(0, 16, block, 16);
            assertThat(block).isEqualTo(Arrays.copyOfRange(bytes, 16, 32));
        }
    }

    @Test
    void refusesAFileWhoseSizeIsNotTheCataloguedOne() throws IOException {
        Path file = Files.write(dir.resolve("short.img"), new byte[100]);
        ServableImage wrong = new ServableImage(UUID.randomUUID(), "short", 200, PIECE, 1, file);
        bytes = new byte[200];
        assertThatThrownBy(() -> open(wrong)).isInstanceOf(IOException.class)
                .hasMessageContaining("100 bytes");
        Files.delete(file);
        assertThatThrownBy(() -> open(wrong)).isInstanceOf(IOException.class);
    }

    @Test
    void aFileTruncatedAfterOpeningIsARottenPieceNotGarbage() throws IOException {
        try (ImageSwarm swarm = open(2 * PIECE)) {
            try (var ch = java.nio.channels.FileChannel.open(image.file(), java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(PIECE + 10);
            }
            clock.advance(Duration.ofSeconds(10));
            assertThatThrownBy(() -> swarm.readBlock(1, 0, new byte[16384], 16384))
                    .isInstanceOf(ImageIntegrity.RottenPieceException.class);
            assertThat(swarm.available().contains(1)).isFalse();
            assertThat(integrity.rottenPieces(image.id())).isEqualTo(1);
        }
    }

    @Test
    void aRottenPieceIsRefusedBeforeAByteOfItIsReadAndLeavesTheAvailablePieces() throws IOException {
        try (ImageSwarm swarm = open(4 * PIECE)) {
            flipByte(PIECE + 40_000);   // in piece 1, not in its first block
            byte[] block = new byte[16384];
            swarm.readBlock(0, 0, block, 16384);
            assertThat(block).isEqualTo(Arrays.copyOfRange(bytes, 0, 16384));

            byte[] untouched = new byte[16384];
            assertThatThrownBy(() -> swarm.readBlock(1, 0, untouched, 16384))
                    .isInstanceOf(ImageIntegrity.RottenPieceException.class)
                    .hasMessageContaining("piece 1 (file offset " + PIECE + ")");
            assertThat(untouched).containsOnly(0);
            assertThatThrownBy(() -> swarm.readBlock(1, 0, untouched, 16384))
                    .isInstanceOf(ImageIntegrity.RottenPieceException.class);
            assertThat(untouched).containsOnly(0);

            assertThat(swarm.available().contains(1)).isFalse();
            assertThat(swarm.available().cardinality()).isEqualTo(3);
            assertThat(integrity.rottenPieces(image.id())).isEqualTo(1);
            assertThat(meters.find(StoreIntegrity.ROTTEN).tag("image", "unit-image").counter().count())
                    .isEqualTo(1.0);
            swarm.readBlock(2, 16384, block, 16384);
            assertThat(block).isEqualTo(Arrays.copyOfRange(bytes, 2 * PIECE + 16384, 2 * PIECE + 32768));
            assertThat(meters.find(StoreIntegrity.VERIFIED).tag("image", "unit-image").counter().count())
                    .isEqualTo(2.0);
        }
    }

    @Test
    void aPieceIsHashedOnceThenServedWithoutReadingItWhole() throws IOException {
        try (ImageSwarm swarm = open(2 * PIECE)) {
            byte[] block = new byte[16384];
            for (int begin = 0; begin < PIECE; begin += 16384) {
                swarm.readBlock(0, begin, block, 16384);
            }
            assertThat(meters.find(StoreIntegrity.VERIFIED).counter().count()).isEqualTo(1.0);
        }
    }

    @Test
    void aChangedFileIsCheckedAgainAfterTheCheckInterval() throws IOException {
        try (ImageSwarm swarm = open(2 * PIECE)) {
            byte[] block = new byte[16384];
            swarm.readBlock(0, 0, block, 16384);
            byte[] good = bytes.clone();

            flipByte(100);
            Files.setLastModifiedTime(image.file(), FileTime.fromMillis(
                    Files.getLastModifiedTime(image.file()).toMillis() + 5_000));
            clock.advance(Duration.ofSeconds(10));
            assertThatThrownBy(() -> swarm.readBlock(0, 0, block, 16384))
                    .isInstanceOf(ImageIntegrity.RottenPieceException.class);
            assertThat(integrity.rottenPieces(image.id())).isEqualTo(1);

            // An operator restores the file (a new one, renamed into place): piece 0 is served again.
            Path restored = Files.write(dir.resolve("restored.img"), good);
            Files.move(restored, image.file(), java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                    java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            clock.advance(Duration.ofSeconds(10));
            swarm.readBlock(0, 16384, block, 16384);
            assertThat(block).isEqualTo(Arrays.copyOfRange(good, 16384, 32768));
            assertThat(integrity.rottenPieces(image.id())).isZero();
            assertThat(swarm.available().isComplete()).isTrue();
        }
    }

    private void flipByte(long position) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(image.file(), java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(java.nio.ByteBuffer.wrap(new byte[]{(byte) (bytes[(int) position] ^ 0x01)}), position);
        }
        bytes[(int) position] ^= 0x01;
    }
}
