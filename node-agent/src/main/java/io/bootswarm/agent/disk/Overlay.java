package io.bootswarm.agent.disk;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.manifest.PieceSet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * A disk's copy-on-write layer: written data lives here in 4 KiB clusters, in a sparse file the
 * size of the image ({@code overlay.dat}); a cluster once written is read from here from then on.
 * The set of written clusters is made durable only by {@link #flush()}: it forces the data file,
 * then appends the clusters written since the last flush to {@code overlay.log} and forces that.
 * After a crash, a write that was flushed is there; one that was not reads as before it.
 */
final class Overlay implements AutoCloseable {

    static final int CLUSTER = 4096;

    private final long size;
    private final FileChannel data;
    private final FileChannel journal;
    private final PieceSet written;
    private final ConcurrentLinkedQueue<Integer> unflushed = new ConcurrentLinkedQueue<>();
    private final ReentrantLock flushLock = new ReentrantLock();

    private Overlay(long size, FileChannel data, FileChannel journal, PieceSet written) {
        this.size = size;
        this.data = data;
        this.journal = journal;
        this.written = written;
    }

    static Overlay open(Path directory, long size) throws IOException {
        PrivateFiles.createDirectories(directory);
        FileChannel data = PrivateFiles.open(directory.resolve("overlay.dat"), CREATE, READ, WRITE);
        FileChannel journal = PrivateFiles.open(directory.resolve("overlay.log"), CREATE, READ, WRITE);
        long clusters = (size + CLUSTER - 1) / CLUSTER;
        if (clusters > Integer.MAX_VALUE) {
            throw new IOException("image too large for the overlay");
        }
        PieceSet written = new PieceSet((int) clusters);
        long whole = journal.size() - journal.size() % Integer.BYTES;
        ByteBuffer all = ByteBuffer.allocate((int) whole);
        journal.read(all, 0);
        all.flip();
        while (all.remaining() >= Integer.BYTES) {
            int c = all.getInt();
            if (c >= 0 && c < clusters) {
                written.add(c);
            }
        }
        journal.truncate(whole);
        journal.position(whole);
        return new Overlay(size, data, journal, written);
    }

    boolean isWritten(int cluster) {
        return written.contains(cluster);
    }

    /** True if any cluster overlapping {@code [offset, offset+length)} was written. */
    boolean anyWritten(long offset, long length) {
        int first = (int) (offset / CLUSTER);
        int last = (int) ((offset + length - 1) / CLUSTER);
        for (int c = first; c <= last; c++) {
            if (written.contains(c)) {
                return true;
            }
        }
        return false;
    }

    /** The overlay file, laid out like the disk, for zero-copy sends of written clusters. */
    FileChannel dataFile() {
        return data;
    }

    int writtenClusters() {
        return written.cardinality();
    }

    /** Reads {@code dst.remaining()} bytes at {@code offset} from the overlay file. */
    void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = data.read(dst, pos);
            if (n < 0) {
                // sparse tail never written: zeros (cannot happen for written clusters, which are full)
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            pos += n;
        }
    }

    /**
     * Writes one whole cluster's bytes (the last cluster may be short) and marks it written. The
     * data reaches the file before the mark, so a concurrent reader never sees a marked cluster
     * without its data.
     */
    void writeCluster(int cluster, ByteBuffer bytes) throws IOException {
        long pos = (long) cluster * CLUSTER;
        while (bytes.hasRemaining()) {
            pos += data.write(bytes, pos);
        }
        if (written.add(cluster)) {
            unflushed.add(cluster);
        }
    }

    long clusterLength(int cluster) {
        return Math.min(CLUSTER, size - (long) cluster * CLUSTER);
    }

    /** Makes every completed write durable. */
    void flush() throws IOException {
        flushLock.lock();
        try {
            // clusters are queued after their data is written, so forcing after counting covers them
            int n = unflushed.size();
            data.force(false);
            if (n == 0) {
                return;
            }
            ByteBuffer b = ByteBuffer.allocate(n * Integer.BYTES);
            for (int i = 0; i < n; i++) {
                Integer c = unflushed.poll();
                if (c == null) {
                    break;
                }
                b.putInt(c);
            }
            b.flip();
            while (b.hasRemaining()) {
                journal.write(b);
            }
            journal.force(false);
        } finally {
            flushLock.unlock();
        }
    }

    @Override
    public void close() throws IOException {
        try {
            flush();
        } finally {
            data.close();
            journal.close();
        }
    }
}
