package io.bootswarm.agent.disk;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.manifest.PieceSet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.ReentrantLock;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * A disk's copy-on-write layer: written data lives here in 4 KiB clusters, in a sparse file the
 * size of the image ({@code overlay.dat}); a cluster once written is read from here from then on.
 * The set of written clusters is made durable only by {@link #flush()}: it forces the data file,
 * then appends the clusters written since the last flush to {@code overlay.log} and forces that;
 * only then are they no longer pending. A flush that fails leaves them pending, and the next flush
 * writes them again, at the same place in the journal (appends are positional at the end of the
 * last good record, so a write that failed part way never misaligns later records). After a crash, a write that was flushed is there; one that was not reads as before it.
 */
final class Overlay implements AutoCloseable {

    static final int CLUSTER = 4096;

    private final long size;
    private final FileChannel data;
    private final FileChannel journal;
    private final PieceSet written;
    private final ConcurrentLinkedQueue<Integer> unflushed = new ConcurrentLinkedQueue<>();
    private final ReentrantLock flushLock = new ReentrantLock();
    /** Where the last good record ends; appends go here. Guarded by {@link #flushLock}. */
    private long journalEnd;

    private Overlay(long size, FileChannel data, FileChannel journal, PieceSet written, long journalEnd) {
        this.size = size;
        this.journalEnd = journalEnd;
        this.data = data;
        this.journal = journal;
        this.written = written;
    }

    static Overlay open(Path directory, long size) throws IOException {
        return open(directory, size, FileOpener.PRIVATE);
    }

    static Overlay open(Path directory, long size, FileOpener files) throws IOException {
        PrivateFiles.createDirectories(directory);
        FileChannel data = files.open(directory.resolve("overlay.dat"), CREATE, READ, WRITE);
        FileChannel journal = files.open(directory.resolve("overlay.log"), CREATE, READ, WRITE);
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
        return new Overlay(size, data, journal, written, whole);
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

    /**
     * Makes every completed write durable. The clusters written since the last flush stay pending
     * until their journal record is forced; if anything fails, this throws, they stay pending and the
     * next flush writes them again (at the same place in the journal).
     */
    void flush() throws IOException {
        flushLock.lock();
        try {
            // clusters are queued after their data is written, so forcing after counting covers them;
            // only flush removes from the queue (under this lock), so its first n stay the same
            int n = unflushed.size();
            data.force(false);
            if (n == 0) {
                return;
            }
            ByteBuffer b = ByteBuffer.allocate(n * Integer.BYTES);
            Iterator<Integer> it = unflushed.iterator();
            for (int i = 0; i < n; i++) {
                b.putInt(it.next());
            }
            b.flip();
            int length = b.remaining();
            try {
                long pos = journalEnd;
                while (b.hasRemaining()) {
                    pos += journal.write(b, pos);
                }
                journal.force(false);
            } catch (IOException e) {
                try {
                    journal.truncate(journalEnd); // the file ends with its last good record again
                } catch (IOException t) {
                    e.addSuppressed(t);
                }
                throw e;
            }
            journalEnd += length;
            for (int i = 0; i < n; i++) {
                unflushed.poll();
            }
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
