package io.bootswarm.agent.disk;

import io.bootswarm.agent.disk.CacheImages.Image;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The piece store's quota: LRU order, claims and pins, hole punching, crashes and reads during eviction. */
class PieceStoreEvictionTest {

    static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    final Image image = Image.random(12, PIECE, 7);

    PieceStore open(long maxPieces, int lowWaterPercent, Duration punchDelay) throws IOException {
        return PieceStore.open(dir, PIECE, Duration.ofHours(1), FileOpener.PRIVATE,
                CacheQuota.of(maxPieces * PIECE, lowWaterPercent, punchDelay), clock);
    }

    List<Integer> held(PieceStore s) {
        return IntStream.range(0, image.manifest().pieceCount())
                .filter(i -> s.contains(image.manifest().hash(i))).boxed().toList();
    }

    Set<PieceHash> hashes(int... pieces) {
        return IntStream.of(pieces).mapToObj(i -> image.manifest().hash(i))
                .collect(java.util.stream.Collectors.toSet());
    }

    @Test
    void evictsLeastRecentlyUsedDownToTheLowWaterMark() throws IOException {
        try (PieceStore s = open(4, 50, Duration.ZERO)) {
            for (int i = 0; i < 4; i++) {
                s.put(image.piece(i));
            }
            assertThat(s.evict()).isZero();
            assertThat(image.stored(s, 0)).isEqualTo(image.pieceBytes(0));
            s.put(image.piece(4));

            assertThat(s.evict()).isEqualTo(3);

            assertThat(held(s)).containsExactly(0, 4);
            assertThat(s.stats().evictions()).isEqualTo(3);
            assertThat(s.stats().bytes()).isEqualTo(2L * PIECE);
            assertThat(image.stored(s, 4)).isEqualTo(image.pieceBytes(4));
            assertThat(image.stored(s, 1)).isNull();
            assertThat(s.stats().hits()).isEqualTo(2);
            assertThat(s.stats().misses()).isEqualTo(1);
        }
    }

    @Test
    void punchedSlotsGiveTheirSpaceBackAndAreReused() throws IOException {
        Path data = dir.resolve("pieces.dat");
        try (PieceStore s = open(8, 50, Duration.ZERO)) {
            for (int i = 0; i < 9; i++) {
                s.put(image.piece(i));
            }
            assertThat(CacheImages.allocated(data)).isGreaterThanOrEqualTo(9L * PIECE);
            assertThat(s.evict()).isEqualTo(5);
            assertThat(CacheImages.allocated(data)).isLessThanOrEqualTo(4L * PIECE);
            for (int i = 9; i < 12; i++) {
                s.put(image.piece(i));
            }
            assertThat(data.toFile().length()).isEqualTo(9L * PIECE); // evicted slots were reused
            for (int i : held(s)) {
                assertThat(image.stored(s, i)).isEqualTo(image.pieceBytes(i));
            }
            assertThat(held(s)).containsExactly(5, 6, 7, 8, 9, 10, 11);
        }
    }

    @Test
    void unclaimedPiecesGoFirstAndPinnedOrUnfetchablePiecesNever() throws IOException {
        AtomicBoolean swarmAlive = new AtomicBoolean(true);
        try (PieceStore s = open(6, 0, Duration.ZERO)) {
            for (int i = 0; i < 8; i++) {
                s.put(image.piece(i));
            }
            PieceClaim disk = s.claim("disk A", hashes(0, 1, 2, 3), swarmAlive::get);
            disk.pin(hashes(0, 1));
            try (PieceClaim stranded = s.claim("disk B", hashes(4), () -> false)) {
                // evicts to 0 bytes at most: everything it may, unclaimed 5, 6, 7 and refetchable 2, 3
                assertThat(s.evict()).isEqualTo(5);
                assertThat(held(s)).containsExactly(0, 1, 4);
            }
            for (int i = 2; i < 8; i++) {
                s.put(image.piece(i));
            }
            swarmAlive.set(false);
            s.evict();
            // disk A's swarm is gone: what it may still read stays, pinned or not; B's claim ended
            assertThat(held(s)).containsExactly(0, 1, 2, 3);
            disk.close();
            s.put(image.piece(4));
            s.put(image.piece(5));
            s.put(image.piece(6));
            s.evict();
            assertThat(held(s)).isEmpty();
        }
    }

    @Test
    void evictedBytesStayUntilThePunchDelayHasPassed() throws IOException {
        Path data = dir.resolve("pieces.dat");
        try (PieceStore s = open(2, 50, Duration.ofSeconds(10))) {
            s.put(image.piece(0));
            long position = s.position(image.manifest().hash(0));
            s.put(image.piece(1));
            s.put(image.piece(2));
            assertThat(s.evict()).isEqualTo(2);
            assertThat(s.position(image.manifest().hash(0))).isEqualTo(-1);
            s.put(image.piece(3)); // not into the evicted slots: they are not punched yet
            assertThat(data.toFile().length()).isEqualTo(4L * PIECE);
            assertThat(s.stats().bytes()).isEqualTo(4L * PIECE);
            ByteBuffer kept = ByteBuffer.allocate(PIECE);
            s.dataFile().read(kept, position);
            assertThat(kept.array()).isEqualTo(image.pieceBytes(0));

            clock.advance(Duration.ofSeconds(10));
            s.evict();
            assertThat(s.stats().bytes()).isEqualTo(2L * PIECE);
            assertThat(CacheImages.allocated(data)).isLessThanOrEqualTo(2L * PIECE);
        }
    }

    @Test
    void killedBetweenTheEvictionRecordAndThePunchLosesNothingPinnedAndServesNoWrongBytes() throws IOException {
        PieceStore s = open(4, 0, Duration.ofHours(1));
        for (int i = 0; i < 6; i++) {
            s.put(image.piece(i));
        }
        s.sync();
        PieceClaim claim = s.claim("disk", hashes(0, 1, 2), () -> true);
        claim.pin(hashes(0, 1));
        assertThat(s.evict()).isEqualTo(4);
        // the process dies here: evictions journaled and forced, no slot punched yet
        long allocatedBefore = CacheImages.allocated(dir.resolve("pieces.dat"));

        try (PieceStore reopened = open(4, 0, Duration.ZERO)) {
            assertThat(held(reopened)).containsExactly(0, 1);
            assertThat(image.stored(reopened, 0)).isEqualTo(image.pieceBytes(0));
            assertThat(image.stored(reopened, 1)).isEqualTo(image.pieceBytes(1));
            assertThat(CacheImages.allocated(dir.resolve("pieces.dat")))
                    .isLessThanOrEqualTo(allocatedBefore - 4L * PIECE);
            for (int i = 6; i < 10; i++) {
                reopened.put(image.piece(i));
            }
            for (int i : held(reopened)) {
                assertThat(image.stored(reopened, i)).isEqualTo(image.pieceBytes(i));
            }
        }
        try (PieceStore again = open(4, 0, Duration.ZERO)) {
            assertThat(held(again)).containsExactly(0, 1, 6, 7, 8, 9);
            for (int i : held(again)) {
                assertThat(image.stored(again, i)).isEqualTo(image.pieceBytes(i));
            }
        }
    }

    @Test
    void aTornEvictionRecordLeavesThePieceWhoseBytesWereNeverPunched() throws IOException {
        PieceStore s = open(3, 0, Duration.ofHours(1));
        for (int i = 0; i < 4; i++) {
            s.put(image.piece(i));
        }
        s.sync();
        assertThat(s.evict()).isEqualTo(4);
        // killed while the last eviction record was being written, before any punch
        Path index = dir.resolve("index.log");
        try (FileChannel ch = FileChannel.open(index, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 20);
        }
        try (PieceStore reopened = open(3, 0, Duration.ZERO)) {
            assertThat(held(reopened)).hasSize(1);
            int survivor = held(reopened).getFirst();
            assertThat(image.stored(reopened, survivor)).isEqualTo(image.pieceBytes(survivor));
        }
    }

    @Test
    void aStoreOfTheFormatBeforeIsReadAndItsFirstEvictionMakesTheFormatBeforeRefuseIt() throws IOException {
        try (PieceStore s = open(1, 0, Duration.ZERO)) {
            s.put(image.piece(0));
            s.put(image.piece(1));
        }
        try (FileChannel ch = FileChannel.open(dir.resolve("index.log"), StandardOpenOption.WRITE)) {
            Journals.writeFully(ch, Journals.header(PieceIndexLog.MAGIC, PieceIndexLog.OLDEST_READ), 0);
        }
        try (PieceStore s = open(1, 0, Duration.ZERO)) {
            assertThat(held(s)).containsExactly(0, 1);
            assertThat(s.evict()).isEqualTo(2);
        }
        ByteBuffer header = ByteBuffer.allocate(Journals.HEADER);
        try (FileChannel ch = FileChannel.open(dir.resolve("index.log"), StandardOpenOption.READ)) {
            Journals.readFully(ch, header, 0);
        }
        assertThat(header.getInt(8)).isEqualTo(PieceIndexLog.VERSION);
        try (FileChannel ch = FileChannel.open(dir.resolve("index.log"), StandardOpenOption.READ)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() ->
                    Journals.detect(ch, dir.resolve("index.log"), PieceIndexLog.MAGIC, PieceIndexLog.OLDEST_READ))
                    .isInstanceOf(IOException.class).hasMessageContaining("version 3");
        }
    }

    @Test
    void aReadInProgressKeepsItsSlotFromBeingPunchedAndReusedUntilItEnds() throws Exception {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1), files,
                CacheQuota.of(2L * PIECE, 0, Duration.ZERO), clock)) {
            s.put(image.piece(0));
            FaultyFileChannel.Gate gate = files.channel("pieces.dat").pauseNextRead();
            AtomicReference<byte[]> read = new AtomicReference<>();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                try {
                    read.set(image.stored(s, 0));
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            gate.entered().await();
            s.put(image.piece(1));
            s.put(image.piece(2));
            assertThat(s.evict()).isEqualTo(3);
            for (int i = 3; i < 6; i++) {
                s.put(image.piece(i)); // into the punched slots of 1 and 2, and a new one: not 0's
            }
            gate.release().countDown();
            reader.join();

            assertThat(failure.get()).isNull();
            assertThat(read.get()).isEqualTo(image.pieceBytes(0));
            assertThat(s.contains(image.manifest().hash(0))).isFalse();
            assertThat(dir.resolve("pieces.dat").toFile().length()).isEqualTo(4L * PIECE);
            s.evict(); // the read is over: 0's slot is punched now, and reused
            s.put(image.piece(6));
            assertThat(dir.resolve("pieces.dat").toFile().length()).isEqualTo(4L * PIECE);
            assertThat(image.stored(s, 6)).isEqualTo(image.pieceBytes(6));
        }
    }

    @Test
    void aFailedEvictionRecordEvictsNothingAndAFailedForcePunchesNothingUntilAForceSucceeds() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        Path data = dir.resolve("pieces.dat");
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1), files,
                CacheQuota.of(2L * PIECE, 0, Duration.ZERO), clock)) {
            for (int i = 0; i < 4; i++) {
                s.put(image.piece(i));
            }
            files.channel("index.log").failWrites(1, 10, "No space left on device");
            org.assertj.core.api.Assertions.assertThatThrownBy(s::evict).hasMessageContaining("No space");
            assertThat(held(s)).containsExactly(0, 1, 2, 3);
            for (int i = 0; i < 4; i++) {
                assertThat(image.stored(s, i)).isEqualTo(image.pieceBytes(i));
            }

            files.channel("index.log").failForces(2, "Input/output error"); // after appending, and again
            assertThat(s.evict()).isEqualTo(4);
            assertThat(held(s)).isEmpty();
            assertThat(CacheImages.allocated(data)).as("nothing punched before the records are forced")
                    .isGreaterThanOrEqualTo(4L * PIECE);
            s.evict();
            assertThat(CacheImages.allocated(data)).isZero();
            assertThat(s.stats().bytes()).isZero();
        }
        try (PieceStore reopened = open(2, 0, Duration.ZERO)) {
            assertThat(held(reopened)).isEmpty();
        }
    }

    @Test
    void cacheMetersShowSizeQuotaHitsMissesAndEvictions() throws IOException {
        var meters = new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
        try (PieceStore s = open(2, 50, Duration.ZERO)) {
            new CacheMetrics(s).bindTo(meters);
            for (int i = 0; i < 3; i++) {
                s.put(image.piece(i));
            }
            image.stored(s, 2);
            s.evict();
            image.stored(s, 0);

            assertThat(meters.get("bootswarm.agent.cache.size").gauge().value()).isEqualTo(PIECE);
            assertThat(meters.get("bootswarm.agent.cache.max-size").gauge().value()).isEqualTo(2.0 * PIECE);
            assertThat(meters.get("bootswarm.agent.cache.hits").functionCounter().count()).isEqualTo(1);
            assertThat(meters.get("bootswarm.agent.cache.misses").functionCounter().count()).isEqualTo(1);
            assertThat(meters.get("bootswarm.agent.cache.evictions").functionCounter().count()).isEqualTo(2);
        }
    }
}
