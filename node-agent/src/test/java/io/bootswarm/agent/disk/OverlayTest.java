package io.bootswarm.agent.disk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The overlay's journal: what a flush makes durable, what replay keeps, and the old format. */
class OverlayTest {

    static final long SIZE = 64 * Overlay.CLUSTER;

    @TempDir
    Path dir;

    static ByteBuffer cluster(int fill) {
        byte[] b = new byte[Overlay.CLUSTER];
        Arrays.fill(b, (byte) fill);
        return ByteBuffer.wrap(b);
    }

    static byte[] read(Overlay o, int cluster) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(Overlay.CLUSTER);
        o.read((long) cluster * Overlay.CLUSTER, b);
        return b.array();
    }

    Path journal() {
        return dir.resolve("overlay.log");
    }

    @Test
    void aJournalWriteThatFailsDuringFlushFailsTheFlushAndTheNextFlushWritesItsClusters() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        try (Overlay o = Overlay.open(dir, SIZE, files)) {
            o.writeCluster(3, cluster(0x33));
            // the disk fills up part way through the journal record: a torn write, then ENOSPC
            files.channel("overlay.log").failWrites(1, 3, "No space left on device");
            assertThatThrownBy(o::flush).isInstanceOf(IOException.class).hasMessageContaining("No space left");
            o.flush(); // space again: this flush must write cluster 3's record
            o.writeCluster(5, cluster(0x55));
            o.flush(); // and later records must still line up
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(3)).as("flushed after the failed flush").isTrue();
            assertThat(o.isWritten(5)).isTrue();
            assertThat(o.writtenClusters()).isEqualTo(2);
            assertThat(read(o, 3)).isEqualTo(cluster(0x33).array());
            assertThat(read(o, 5)).isEqualTo(cluster(0x55).array());
        }
    }

    @Test
    void aJournalForceThatFailsFailsTheFlushAndTheNextFlushRewritesTheRecord() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        try (Overlay o = Overlay.open(dir, SIZE, files)) {
            o.writeCluster(7, cluster(0x77));
            long before = Files.size(journal());
            files.channel("overlay.log").failForces(1, "Input/output error");
            assertThatThrownBy(o::flush).isInstanceOf(IOException.class);
            assertThat(Files.size(journal())).as("the record whose force failed is cut off").isEqualTo(before);
            o.flush();
            assertThat(Files.size(journal())).as("the retry writes the record again, where it was")
                    .isEqualTo(before + Overlay.RECORD_HEADER + Integer.BYTES);
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(7)).isTrue();
            assertThat(o.writtenClusters()).isEqualTo(1);
        }
    }

    @Test
    void aDataForceThatFailsFailsEveryLaterFlushUntilReopenedAndItsClustersReadAsUnwritten() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        Overlay o = Overlay.open(dir, SIZE, files);
        o.writeCluster(3, cluster(0x33));
        o.flush();
        o.writeCluster(9, cluster(0x99));
        files.channel("overlay.dat").failForces(1, "Input/output error");
        assertThatThrownBy(o::flush).isInstanceOf(IOException.class).hasMessage("Input/output error");
        // the kernel may have dropped the pages and reported the error once: a second fsync would succeed
        assertThatThrownBy(o::flush).isInstanceOf(IOException.class).hasMessageContaining("earlier flush")
                .hasRootCauseMessage("Input/output error");
        assertThatThrownBy(o::close).isInstanceOf(IOException.class);
        try (Overlay reopened = Overlay.open(dir, SIZE)) {
            assertThat(reopened.isWritten(3)).isTrue();
            assertThat(reopened.isWritten(9)).isFalse();
            reopened.writeCluster(9, cluster(0x99));
            reopened.flush();
        }
        try (Overlay again = Overlay.open(dir, SIZE)) {
            assertThat(again.isWritten(9)).isTrue();
        }
    }

    @Test
    void replayDropsATornLastRecordAndAppendsAfterTheLastGoodOne() throws IOException {
        try (Overlay o = Overlay.open(dir, SIZE)) {
            o.writeCluster(1, cluster(1));
            o.flush();
            o.writeCluster(2, cluster(2));
            o.flush();
        }
        try (FileChannel j = FileChannel.open(journal(), StandardOpenOption.WRITE)) {
            j.truncate(j.size() - 2);
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(1)).isTrue();
            assertThat(o.isWritten(2)).as("its record was torn").isFalse();
            o.writeCluster(4, cluster(4));
            o.flush();
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(1)).isTrue();
            assertThat(o.isWritten(2)).isFalse();
            assertThat(o.isWritten(4)).isTrue();
        }
    }

    @Test
    void replayStopsAtACorruptMiddleRecordAndKeepsEveryRecordBeforeIt() throws IOException {
        long afterFirst;
        long afterSecond;
        try (Overlay o = Overlay.open(dir, SIZE)) {
            o.writeCluster(1, cluster(1));
            o.flush();
            afterFirst = Files.size(journal());
            o.writeCluster(2, cluster(2));
            o.flush();
            afterSecond = Files.size(journal());
            o.writeCluster(8, cluster(8));
            o.flush();
        }
        assertThat(afterSecond).isGreaterThan(afterFirst);
        // one bit flips in the middle record's last byte (cluster 2 would read as cluster 3)
        try (FileChannel j = FileChannel.open(journal(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            j.read(b, afterSecond - 1);
            b.put(0, (byte) (b.get(0) ^ 1));
            j.write(b.clear(), afterSecond - 1);
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(1)).as("before the bad record").isTrue();
            assertThat(o.isWritten(3)).as("never written: the corrupt record is not misread").isFalse();
            assertThat(o.isWritten(2)).isFalse();
            assertThat(o.isWritten(8)).as("after the bad record: replay stopped").isFalse();
            o.writeCluster(10, cluster(10));
            o.flush();
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(1)).isTrue();
            assertThat(o.isWritten(10)).isTrue();
            assertThat(o.writtenClusters()).isEqualTo(2);
        }
    }

    @Test
    void aStoppedReplayKeepsTheDroppedBytesAndOnlyTheNewestThreeSuchFiles() throws IOException {
        try (Overlay o = Overlay.open(dir, SIZE)) {
            o.writeCluster(1, cluster(1));
            o.flush();
        }
        long end = Files.size(journal());
        for (int i = 1; i <= 4; i++) {
            Path earlier = dir.resolve("overlay.log.bad-" + (1000 + i));
            Files.write(earlier, new byte[]{(byte) i});
            Files.setLastModifiedTime(earlier, FileTime.from(Instant.parse("2026-01-01T00:00:00Z").plusSeconds(i)));
        }
        byte[] torn = {0, 0, 0, 1, 9};
        try (FileChannel j = FileChannel.open(journal(), StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            j.write(ByteBuffer.wrap(torn));
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(1)).isTrue();
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.contains(".bad-")))
                    .containsExactlyInAnyOrder("overlay.log.bad-" + end, "overlay.log.bad-1003", "overlay.log.bad-1004");
        }
        assertThat(Files.readAllBytes(dir.resolve("overlay.log.bad-" + end))).isEqualTo(torn);
    }

    @Test
    void anOldFormatJournalIsReadAsBeforeAndMigratedOnce() throws IOException {
        Files.createDirectories(dir);
        try (FileChannel d = FileChannel.open(dir.resolve("overlay.dat"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE)) {
            d.write(cluster(0x11), 1L * Overlay.CLUSTER);
            d.write(cluster(0x55), 5L * Overlay.CLUSTER);
        }
        // the format before records had checksums: bare big-endian cluster ids, here with a torn tail
        ByteBuffer old = ByteBuffer.allocate(4 * 3 + 2).putInt(1).putInt(5).putInt(63).put((byte) 0).put((byte) 0);
        Files.write(journal(), old.array());
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.writtenClusters()).isEqualTo(3);
            assertThat(o.isWritten(1)).isTrue();
            assertThat(o.isWritten(5)).isTrue();
            assertThat(o.isWritten(63)).isTrue();
            assertThat(read(o, 5)).isEqualTo(cluster(0x55).array());
            o.writeCluster(6, cluster(6));
            o.flush();
        }
        assertThat(Files.readAllBytes(journal())[0] & 0x80).as("now in the new format (header first)")
                .isNotZero();
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.writtenClusters()).isEqualTo(4);
            assertThat(o.isWritten(6)).isTrue();
            assertThat(read(o, 1)).isEqualTo(cluster(0x11).array());
        }
    }

    @Test
    void aJournalOfAnUnknownFormatIsRefusedNotMisread() throws IOException {
        Files.createDirectories(dir);
        // a header's magic with a version from the future
        ByteBuffer future = ByteBuffer.allocate(32);
        try (Overlay o = Overlay.open(dir, SIZE)) {
            o.flush();
        }
        byte[] header = Files.readAllBytes(journal());
        assertThat(header.length).isGreaterThanOrEqualTo(16);
        future.put(header, 0, 8).putInt(99).putInt(0);
        Files.write(journal(), future.array());
        assertThatThrownBy(() -> Overlay.open(dir, SIZE)).isInstanceOf(IOException.class)
                .hasMessageContaining("overlay.log");
    }
}
