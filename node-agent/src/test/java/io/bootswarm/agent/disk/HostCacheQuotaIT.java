package io.bootswarm.agent.disk;

import io.bootswarm.agent.disk.CacheImages.Image;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A host cache filled past its quota by several images, with live disks on two of them: the store's
 * background eviction brings the space {@code pieces.dat} takes on disk (its allocated blocks, as
 * {@code du} counts them) back under the quota, the live disks read every byte right before and
 * after, the pieces evicted from under them are fetched again on demand and verified, and their
 * pinned pieces (a profile's head) never leave.
 */
class HostCacheQuotaIT {

    static final int PIECE = 64 * 1024;
    static final int PIECES = 24;
    static final long QUOTA = 40L * PIECE;

    @TempDir
    Path dir;

    /** Fetches a piece from a copy of the image, verifying it as the swarm does, and counts fetches. */
    static final class VerifyingSource implements PieceSource {
        final Image image;
        final PieceStore store;
        final AtomicInteger fetches = new AtomicInteger();

        VerifyingSource(Image image, PieceStore store) {
            this.image = image;
            this.store = store;
        }

        @Override
        public void require(int piece) throws IOException {
            fetches.incrementAndGet();
            int off = (int) image.manifest().pieceOffset(piece);
            int len = image.manifest().pieceLength(piece);
            store.put(VerifiedPiece.verify(image.manifest().hash(piece),
                    Arrays.copyOfRange(image.bytes(), off, off + len), len).orElseThrow());
        }
    }

    static void assertReadsWholeImage(VirtualDisk disk, Image image) throws IOException {
        int chunk = 3 * PIECE / 2; // across piece boundaries
        for (int off = 0; off < image.bytes().length; off += chunk) {
            int n = Math.min(chunk, image.bytes().length - off);
            ByteBuffer b = ByteBuffer.allocate(n);
            disk.read(off, b);
            assertThat(Arrays.equals(b.array(), 0, n, image.bytes(), off, off + n))
                    .as("bytes [%d, +%d)", off, n).isTrue();
        }
    }

    @Test
    void aStoreFilledPastItsQuotaByThreeImagesComesBackUnderItWhileLiveDisksReadEveryByteRight() throws Exception {
        Image a = Image.random(PIECES, PIECE, 1);
        Image b = Image.random(PIECES, PIECE, 2);
        Image c = Image.random(PIECES, PIECE, 3);
        Path data = dir.resolve("pieces").resolve("pieces.dat");
        try (PieceStore store = PieceStore.open(dir.resolve("pieces"), PIECE, Duration.ofSeconds(1),
                CacheQuota.of(QUOTA, 75, Duration.ZERO), InstantSource.system()).start()) {
            VerifyingSource sourceA = new VerifyingSource(a, store);
            VerifyingSource sourceB = new VerifyingSource(b, store);
            try (VirtualDisk diskA = VirtualDisk.open(a.manifest(), store, sourceA, dir.resolve("a"),
                    VirtualDisk.AccessListener.NONE);
                 VirtualDisk diskB = VirtualDisk.open(b.manifest(), store, sourceB, dir.resolve("b"),
                         VirtualDisk.AccessListener.NONE)) {
                int[] head = {0, 1, 2, 3, 4, 5};
                diskA.pin(head);
                assertReadsWholeImage(diskA, a);
                assertReadsWholeImage(diskB, b);
                assertThat(sourceA.fetches.get() + sourceB.fetches.get()).isEqualTo(2 * PIECES);

                // a third image, no disk on it any more (e.g. an earlier launch's): 72 pieces > 40. The
                // background eviction runs while it is stored, so which of its pieces stay depends on timing
                for (int i = 0; i < PIECES; i++) {
                    store.put(c.piece(i));
                }
                await().atMost(Duration.ofSeconds(30)).until(() -> store.stats().bytes() <= QUOTA
                        && CacheImages.allocated(data) <= QUOTA);
                assertThat(store.stats().evictions()).isGreaterThanOrEqualTo(3L * PIECES - QUOTA / PIECE);
                assertThat(IntStream.of(head).mapToObj(i -> a.manifest().hash(i)).filter(store::contains))
                        .hasSize(head.length);

                int fetchedBefore = sourceA.fetches.get() + sourceB.fetches.get();
                assertReadsWholeImage(diskA, a);
                assertReadsWholeImage(diskB, b);
                int refetched = sourceA.fetches.get() + sourceB.fetches.get() - fetchedBefore;
                // 72 pieces in a quota of 40: at least 8 of the live disks' were evicted, unclaimed c's 24 first
                assertThat(refetched).as("pieces of live disks evicted and fetched again")
                        .isGreaterThanOrEqualTo(3 * PIECES - (int) (QUOTA / PIECE) - PIECES);

                await().atMost(Duration.ofSeconds(30)).until(() -> store.stats().bytes() <= QUOTA
                        && CacheImages.allocated(data) <= QUOTA);
                assertThat(IntStream.of(head).mapToObj(i -> a.manifest().hash(i)).filter(store::contains))
                        .hasSize(head.length);
                assertReadsWholeImage(diskA, a);
                assertReadsWholeImage(diskB, b);
            }
        }
    }
}
