package io.bootswarm.seed.serving;

import io.bootswarm.seed.catalog.ServableImage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    private byte[] bytes;
    private ServableImage image;

    private ImageSwarm open(int size) throws IOException {
        bytes = new byte[size];
        new Random(size).nextBytes(bytes);
        Path file = Files.write(dir.resolve("image.img"), bytes);
        image = new ServableImage(UUID.randomUUID(), "unit-image", size, PIECE, (size + PIECE - 1) / PIECE, file);
        return ImageSwarm.open(image, ledger);
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
        assertThatThrownBy(() -> ImageSwarm.open(wrong, ledger)).isInstanceOf(IOException.class)
                .hasMessageContaining("100 bytes");
        Files.delete(file);
        assertThatThrownBy(() -> ImageSwarm.open(wrong, ledger)).isInstanceOf(IOException.class);
    }

    @Test
    void aFileTruncatedAfterOpeningIsAnEofNotGarbage() throws IOException {
        try (ImageSwarm swarm = open(2 * PIECE)) {
            try (var ch = java.nio.channels.FileChannel.open(image.file(), java.nio.file.StandardOpenOption.WRITE)) {
                ch.truncate(PIECE + 10);
            }
            assertThatThrownBy(() -> swarm.readBlock(1, 0, new byte[16384], 16384)).isInstanceOf(EOFException.class);
        }
    }
}
