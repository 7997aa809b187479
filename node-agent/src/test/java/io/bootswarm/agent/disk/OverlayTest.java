package io.bootswarm.agent.disk;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

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
                    .isEqualTo(before + Integer.BYTES);
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(7)).isTrue();
            assertThat(o.writtenClusters()).isEqualTo(1);
        }
    }

    @Test
    void aDataForceThatFailsFailsTheFlushAndKeepsTheClustersPending() throws IOException {
        FaultyFileChannel.Opener files = new FaultyFileChannel.Opener();
        try (Overlay o = Overlay.open(dir, SIZE, files)) {
            o.writeCluster(9, cluster(0x99));
            files.channel("overlay.dat").failForces(1, "Input/output error");
            assertThatThrownBy(o::flush).isInstanceOf(IOException.class);
            o.flush();
        }
        try (Overlay o = Overlay.open(dir, SIZE)) {
            assertThat(o.isWritten(9)).isTrue();
        }
    }
}
