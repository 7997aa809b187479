package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class PieceStoreTest {

    static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    final byte[] image = TestImages.image(10 * PIECE + 1000, PIECE, 1);
    final Manifest manifest = TestImages.manifest(image, PIECE);

    VerifiedPiece piece(int i) {
        int off = i * PIECE;
        int len = manifest.pieceLength(i);
        return VerifiedPiece.verify(manifest.hash(i), Arrays.copyOfRange(image, off, off + len), len).orElseThrow();
    }

    byte[] read(PieceStore s, int i) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(manifest.pieceLength(i));
        s.read(manifest.hash(i), 0, b);
        return b.array();
    }

    @Test
    void verificationRejectsWrongBytes() {
        byte[] bytes = Arrays.copyOfRange(image, PIECE, 2 * PIECE);
        bytes[100] ^= 1;
        assertThat(VerifiedPiece.verify(manifest.hash(1), bytes, PIECE)).isEmpty();
    }

    @Test
    void storedPiecesReadBackAndSurviveReopenWithoutSync() throws IOException {
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.put(piece(1))).isTrue();
            assertThat(s.put(piece(1))).isFalse();
            assertThat(s.put(piece(10))).isTrue();
            assertThat(read(s, 1)).isEqualTo(Arrays.copyOfRange(image, PIECE, 2 * PIECE));
            ByteBuffer part = ByteBuffer.allocate(100);
            s.read(manifest.hash(10), 500, part);
            assertThat(part.array()).isEqualTo(Arrays.copyOfRange(image, 10 * PIECE + 500, 10 * PIECE + 600));
        }
        // close() syncs; check both the synced and an unsynced reopen path below
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(2);
            assertThat(read(s, 10)).isEqualTo(Arrays.copyOfRange(image, 10 * PIECE, image.length));
            s.put(piece(4));
            s.sync();
            s.put(piece(5)); // after the last sync mark: re-verified on open
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(4);
            assertThat(read(s, 5)).isEqualTo(Arrays.copyOfRange(image, 5 * PIECE, 6 * PIECE));
        }
    }

    @Test
    void unsyncedPieceWhoseBytesWereLostIsDroppedOnReopen() throws IOException {
        PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1));
        s.put(piece(1));
        s.sync();
        s.put(piece(2));
        // simulate a machine crash that lost the data of the unsynced piece but kept its journal record
        try (FileChannel data = FileChannel.open(dir.resolve("pieces.dat"), StandardOpenOption.WRITE)) {
            data.write(ByteBuffer.allocate(PIECE), PIECE);
        }
        PieceStore reopened = PieceStore.open(dir, PIECE, Duration.ofHours(1));
        assertThat(reopened.contains(manifest.hash(1))).isTrue();
        assertThat(reopened.contains(manifest.hash(2))).isFalse();
        assertThatThrownBy(() -> read(reopened, 2)).isInstanceOf(IllegalStateException.class);
        reopened.close();
    }

    @Test
    void tornJournalTailIsCutOff() throws IOException {
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            s.put(piece(1));
        }
        try (FileChannel j = FileChannel.open(dir.resolve("index.log"), StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            j.write(ByteBuffer.wrap(new byte[]{1, 2, 3, 4, 5}));
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(1);
            assertThat(s.put(piece(2))).isTrue();
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(2);
            assertThat(read(s, 2)).isEqualTo(Arrays.copyOfRange(image, 2 * PIECE, 3 * PIECE));
        }
    }

    @Test
    void startsSyncingOnlyWhenStartedAndClosesOnce() throws IOException {
        PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1));
        assertThat(s.syncing()).as("open starts no thread").isFalse();
        s.start();
        assertThat(s.syncing()).isTrue();
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class);
        s.put(piece(1));
        s.close();
        s.close(); // idempotent
        assertThatThrownBy(s::start).isInstanceOf(IllegalStateException.class);
        await().until(() -> !s.syncing());
        try (PieceStore reopened = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(read(reopened, 1)).isEqualTo(Arrays.copyOfRange(image, PIECE, 2 * PIECE));
        }
    }
    @Test
    void closeMeetingTheSyncThreadMidSyncNeitherFailsNorEndsUnsynced() throws IOException {
        // with a 1 ns interval the sync thread syncs all the time, so close() often meets it inside
        // a force or a write: it must not break the channels (as interrupting it did) and must end
        // with a sync mark covering every record
        int[] nonZero = {1, 2, 4, 5, 7, 8, 10};
        for (int round = 0; round < 100; round++) {
            Path d = dir.resolve("round-" + round);
            int[] pieces = {nonZero[round % 7], nonZero[(round + 2) % 7], nonZero[(round + 4) % 7]};
            PieceStore s = PieceStore.open(d, PIECE, Duration.ofNanos(1)).start();
            for (int i : pieces) {
                s.put(piece(i));
            }
            s.close();
            s.close();
            assertThat(s.syncing()).isFalse();
            ByteBuffer last = ByteBuffer.allocate(PieceIndexLog.RECORD);
            long end;
            try (FileChannel j = FileChannel.open(d.resolve("index.log"), StandardOpenOption.READ)) {
                end = j.size();
                j.read(last, end - PieceIndexLog.RECORD);
            }
            assertThat(last.getInt(PieceHash.BYTES)).as("round %d: the last record is a sync mark", round)
                    .isEqualTo(-1);
            assertThat(last.getLong(0)).as("round %d: covering every record before it", round)
                    .isEqualTo(end - PieceIndexLog.RECORD);
            try (PieceStore reopened = PieceStore.open(d, PIECE, Duration.ofHours(1))) {
                assertThat(reopened.count()).isEqualTo(pieces.length);
                for (int i : pieces) {
                    assertThat(read(reopened, i))
                            .isEqualTo(Arrays.copyOfRange(image, i * PIECE, i * PIECE + manifest.pieceLength(i)));
                }
            }
        }
    }

    @Test
    void replayStopsAtACorruptMiddleRecordAndKeepsEveryRecordBeforeIt() throws IOException {
        long afterFirst;
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            s.put(piece(1));
            afterFirst = Files.size(dir.resolve("index.log"));
            s.put(piece(2));
            s.put(piece(4));
            s.sync();
        }
        // one bit flips in the middle record's slot number (slot 1 would read as slot 0, piece 1's bytes)
        long slotLowByte = afterFirst + PieceHash.BYTES + 3;
        try (FileChannel j = FileChannel.open(dir.resolve("index.log"), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            j.read(b, slotLowByte);
            assertThat(b.get(0)).isEqualTo((byte) 1);
            b.put(0, (byte) 0);
            j.write(b.clear(), slotLowByte);
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.contains(manifest.hash(1))).as("before the bad record").isTrue();
            assertThat(s.contains(manifest.hash(2))).as("the bad record is not misread").isFalse();
            assertThat(s.contains(manifest.hash(4))).as("after the bad record: replay stopped").isFalse();
            assertThat(s.put(piece(2))).isTrue();
            assertThat(s.put(piece(4))).isTrue();
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(3);
            for (int i : new int[]{1, 2, 4}) {
                assertThat(read(s, i)).isEqualTo(Arrays.copyOfRange(image, i * PIECE, (i + 1) * PIECE));
            }
        }
    }

    @Test
    void aFailedIndexAppendFailsThePutAndLaterRecordsStillLineUp() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1), files)) {
            s.put(piece(1));
            files.channel("index.log").failWrites(1, 10, "No space left on device");
            assertThatThrownBy(() -> s.put(piece(2))).isInstanceOf(IOException.class)
                    .hasMessageContaining("No space left");
            assertThat(s.contains(manifest.hash(2))).isFalse();
            assertThat(s.put(piece(4))).isTrue();
            assertThat(s.put(piece(2))).isTrue();
            s.sync();
            s.put(piece(5));
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(4);
            for (int i : new int[]{1, 2, 4, 5}) {
                assertThat(read(s, i)).isEqualTo(Arrays.copyOfRange(image, i * PIECE, (i + 1) * PIECE));
            }
        }
    }

    @Test
    void aFailedDataWriteFailsThePutAndLosesNothing() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1), files)) {
            s.put(piece(1));
            files.channel("pieces.dat").failWrites(1, 1000, "No space left on device");
            assertThatThrownBy(() -> s.put(piece(2))).isInstanceOf(IOException.class);
            assertThat(s.contains(manifest.hash(2))).isFalse();
            assertThat(s.put(piece(2))).isTrue();
            assertThat(read(s, 1)).isEqualTo(Arrays.copyOfRange(image, PIECE, 2 * PIECE));
            assertThat(read(s, 2)).isEqualTo(Arrays.copyOfRange(image, 2 * PIECE, 3 * PIECE));
        }
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(2);
            assertThat(read(s, 2)).isEqualTo(Arrays.copyOfRange(image, 2 * PIECE, 3 * PIECE));
        }
    }

    @Test
    void anOldFormatIndexIsReadAsBeforeAndMigratedOnce() throws IOException {
        // the format before records had checksums: (32-byte hash, int slot, int length), sync marks
        // with slot -1 and the covered offset in the hash's place
        Files.createDirectories(dir);
        int[] pieces = {1, 2, 4};
        ByteBuffer old = ByteBuffer.allocate(40 * 5 + 7);
        try (FileChannel d = FileChannel.open(dir.resolve("pieces.dat"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            for (int slot = 0; slot < pieces.length; slot++) {
                int i = pieces[slot];
                d.write(ByteBuffer.wrap(image, i * PIECE, PIECE), (long) slot * PIECE);
                byte[] h = new byte[PieceHash.BYTES];
                manifest.hash(i).copyTo(h, 0);
                old.put(h).putInt(slot).putInt(PIECE);
                if (slot == 1) {
                    long covered = old.position();
                    old.putLong(covered).put(new byte[PieceHash.BYTES - 8]).putInt(-1).putInt(0);
                }
            }
        }
        old.put(new byte[7]); // a torn tail
        Files.write(dir.resolve("index.log"), old.array());
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(3);
            assertThat(read(s, 4)).isEqualTo(Arrays.copyOfRange(image, 4 * PIECE, 5 * PIECE));
            assertThat(s.put(piece(5))).isTrue();
        }
        assertThat(Files.exists(dir.resolve("index.log.v1"))).as("the old file is kept").isTrue();
        try (PieceStore s = PieceStore.open(dir, PIECE, Duration.ofHours(1))) {
            assertThat(s.count()).isEqualTo(4);
            for (int i : new int[]{1, 2, 4, 5}) {
                assertThat(read(s, i)).isEqualTo(Arrays.copyOfRange(image, i * PIECE, (i + 1) * PIECE));
            }
        }
    }
}
