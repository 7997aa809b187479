package io.bootswarm.seed.serving;

import io.bootswarm.seed.catalog.ServableImage;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class ImageIntegrityTest {

    private static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final Counter rotten = meters.counter("rotten");
    private final Counter verified = meters.counter("verified");
    private byte[] bytes;

    private ImageIntegrity integrity(int size) throws IOException {
        bytes = new byte[size];
        new Random(7).nextBytes(bytes);
        Path file = Files.write(dir.resolve("image.img"), bytes);
        ServableImage image = new ServableImage(UUID.randomUUID(), "unit", size, PIECE, (size + PIECE - 1) / PIECE,
                file);
        return new ImageIntegrity(image, ImageSwarmTest.hashes(bytes, PIECE), new ManualClock(), Duration.ofSeconds(10),
                rotten, verified);
    }

    private void copy(long position, byte[] dst, int length) {
        System.arraycopy(bytes, (int) position, dst, 0, length);
    }

    @Test
    void concurrentFirstServesOfOnePieceReadAndHashItOnce() throws Exception {
        ImageIntegrity integrity = integrity(2 * PIECE);
        CountDownLatch release = new CountDownLatch(1);
        AtomicInteger reads = new AtomicInteger();
        ImageIntegrity.PieceReader slow = (position, dst, length) -> {
            reads.incrementAndGet();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            copy(position, dst, length);
        };
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> servers = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            servers.add(Thread.ofPlatform().start(() -> {
                try {
                    integrity.verify(1, slow);
                } catch (IOException | RuntimeException e) {
                    failures.add(e);
                }
            }));
        }
        // every server is parked: one in the read, the others waiting for its verdict (or, without
        // that, in reads of their own)
        await().atMost(Duration.ofSeconds(10)).until(() -> servers.stream()
                .allMatch(t -> t.getState() == Thread.State.WAITING));
        release.countDown();
        for (Thread t : servers) {
            t.join();
        }
        assertThat(failures).isEmpty();
        assertThat(reads).hasValue(1);
        assertThat(verified.count()).isEqualTo(1.0);
        assertThat(integrity.verifiedPieces()).isEqualTo(1);

        integrity.verify(1, (position, dst, length) -> {
            throw new AssertionError("a verified piece is read again");
        });
    }

    @Test
    void aReadErrorIsARottenPieceButAClosedChannelIsNoVerdict() throws IOException {
        ImageIntegrity integrity = integrity(3 * PIECE);
        assertThatThrownBy(() -> integrity.verify(0, (position, dst, length) -> {
            throw new ClosedChannelException();
        })).isInstanceOf(ClosedChannelException.class);
        assertThat(integrity.rottenPieces()).isZero();
        integrity.verify(0, this::copy);
        assertThat(integrity.verifiedPieces()).isEqualTo(1);

        assertThatThrownBy(() -> integrity.verify(2, (position, dst, length) -> {
            throw new IOException("Input/output error");
        })).isInstanceOf(ImageIntegrity.RottenPieceException.class);
        assertThat(integrity.rottenPieces()).isEqualTo(1);
        assertThat(integrity.available().contains(2)).isFalse();
        assertThat(rotten.count()).isEqualTo(1.0);
        // rotten until the file changes: a good read later does not bring it back
        assertThatThrownBy(() -> integrity.verify(2, this::copy))
                .isInstanceOf(ImageIntegrity.RottenPieceException.class);
        assertThat(rotten.count()).isEqualTo(1.0);
    }
}
