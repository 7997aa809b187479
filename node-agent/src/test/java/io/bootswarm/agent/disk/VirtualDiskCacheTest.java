package io.bootswarm.agent.disk;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

/**
 * {@code NBD_CMD_CACHE} on a {@link VirtualDisk}: the pieces under the range that are neither zero nor
 * on the host are prefetched through the {@link PieceSource}, never more than
 * {@link VirtualDisk#CACHE_FETCHES} at once whatever the range, each piece once however often it is
 * hinted; the rest follow as fetches complete, and the fetched pieces then read without a demand fetch.
 */
class VirtualDiskCacheTest {

    static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    /** 21 pieces, the last short; pieces 0, 3, ..., 18 are zero. */
    final byte[] image = TestImages.image(20 * PIECE + 12345, PIECE, 7);
    final Manifest manifest = TestImages.manifest(image, PIECE);
    PieceStore store;
    VirtualDisk disk;
    final List<Integer> prefetched = new CopyOnWriteArrayList<>();
    final List<Integer> required = new CopyOnWriteArrayList<>();
    final Map<Integer, CompletableFuture<Void>> fetches = new ConcurrentHashMap<>();

    /** A swarm stand-in: a prefetch stays in flight until {@link #deliver} stores the piece. */
    final PieceSource source = new PieceSource() {
        @Override
        public void require(int piece) throws IOException {
            required.add(piece);
            put(piece);
        }

        @Override
        public CompletableFuture<Void> prefetch(int piece) {
            prefetched.add(piece);
            return fetches.computeIfAbsent(piece, p -> new CompletableFuture<>());
        }
    };

    @BeforeEach
    void open() throws IOException {
        store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
        disk = VirtualDisk.open(manifest, store, source, dir.resolve("overlay"), VirtualDisk.AccessListener.NONE);
    }

    @AfterEach
    void close() throws IOException {
        disk.close();
        store.close();
    }

    void put(int piece) throws IOException {
        store.put(VerifiedPiece.verify(manifest.hash(piece),
                Arrays.copyOfRange(image, piece * PIECE, piece * PIECE + manifest.pieceLength(piece)),
                manifest.pieceLength(piece)).orElseThrow());
    }

    void deliver(int piece) throws IOException {
        put(piece);
        fetches.get(piece).complete(null);
    }

    List<Integer> dataPieces() {
        return IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).boxed().toList();
    }

    @Test
    void aWholeDiskHintKeepsAtMostTheBoundInFlightAndFetchesEachMissingPieceOnce() throws IOException {
        put(1);
        List<Integer> wanted = new ArrayList<>(dataPieces());
        wanted.remove(Integer.valueOf(1));
        assertThat(wanted).hasSize(13);

        disk.cache(0, disk.size());
        disk.cache(0, disk.size());

        assertThat(prefetched).containsExactlyElementsOf(wanted.subList(0, VirtualDisk.CACHE_FETCHES));
        assertThat(disk.cachePending()).isEqualTo(wanted.size() - VirtualDisk.CACHE_FETCHES);

        while (!fetches.values().stream().allMatch(CompletableFuture::isDone)) {
            int inFlight = (int) fetches.values().stream().filter(f -> !f.isDone()).count();
            assertThat(inFlight).isLessThanOrEqualTo(VirtualDisk.CACHE_FETCHES);
            int next = fetches.entrySet().stream().filter(e -> !e.getValue().isDone()).mapToInt(Map.Entry::getKey)
                    .min().orElseThrow();
            deliver(next);
        }

        assertThat(prefetched).containsExactlyElementsOf(wanted);
        assertThat(disk.cachePending()).isZero();
        assertThat(disk.missingPieces()).isZero();
        ByteBuffer all = ByteBuffer.allocate(image.length);
        disk.read(0, all);
        assertThat(all.array()).isEqualTo(image);
        assertThat(required).isEmpty();
    }

    @Test
    void aHintCoversOnlyThePiecesUnderItsRange() {
        disk.cache(4L * PIECE + 100, PIECE);

        assertThat(prefetched).containsExactly(4, 5);
    }

    @Test
    void aHintOverZeroPiecesAndThePaddedTailFetchesNothing() {
        disk.cache(3L * PIECE, PIECE);
        disk.cache(image.length, disk.size() - image.length);

        assertThat(prefetched).isEmpty();
        assertThat(disk.cachePending()).isZero();
    }

    @Test
    void aFailedPrefetchIsDroppedAndTheNextPendingPieceStarts() throws IOException {
        disk.cache(0, disk.size());
        int first = prefetched.getFirst();

        fetches.get(first).completeExceptionally(new IOException("no peer had it"));

        assertThat(prefetched).hasSize(VirtualDisk.CACHE_FETCHES + 1);
        ByteBuffer dst = ByteBuffer.allocate(PIECE);
        disk.read((long) first * PIECE, dst);
        assertThat(required).containsExactly(first);
    }

    @Test
    void aClosedDiskDropsWhatIsPending() throws IOException {
        disk.cache(0, disk.size());
        disk.close();
        for (int p : List.copyOf(fetches.keySet())) {
            fetches.get(p).complete(null);
        }

        assertThat(prefetched).hasSize(VirtualDisk.CACHE_FETCHES);
        assertThat(disk.cachePending()).isZero();
        disk = VirtualDisk.open(manifest, store, source, dir.resolve("overlay2"), VirtualDisk.AccessListener.NONE);
    }
}
