package io.bootswarm.agent.disk;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.manifest.PieceSet;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.ReentrantLock;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * A disk's copy-on-write layer: written data lives here in 4 KiB clusters, in a sparse file the
 * size of the image ({@code overlay.dat}); a cluster once written is read from here from then on.
 * The set of written clusters is made durable only by {@link #flush()}: it forces the data file,
 * then appends the clusters written since the last flush to {@code overlay.log} and forces that;
 * only then are they no longer pending. A flush whose journal write fails leaves them pending, and the
 * next flush writes them again. A flush whose force of the data file fails <em>fails every later
 * flush</em> until the overlay is opened again: after a failed fsync Linux may have dropped the dirty
 * pages and marked them clean, so a second fsync would succeed without the data (PostgreSQL's
 * "fsyncgate", 2018); the clusters written since the last good flush are then not journaled, and
 * after reopening they read as before they were written, as an unflushed write should. After a
 * crash, a write that was flushed is there; one that was not reads as before it.
 *
 * <p>{@code overlay.log} (format 2): the {@link Journals} header with {@link #MAGIC}, then records
 * of {@code int count} (1 to {@link #MAX_RECORD_CLUSTERS}), {@code int crc32c} (of the count and
 * the ids), {@code count} ints of cluster ids. Replay stops at the first torn or corrupt record,
 * keeps every record before it and logs where it stopped. A journal of the format before (bare
 * cluster ids, no header) is read by the old rules and migrated once.
 */
final class Overlay implements AutoCloseable {

    static final int CLUSTER = 4096;

    /** "\u00b5OVLJRNL": its first byte has the top bit set, which an old journal's first cluster id never has. */
    static final long MAGIC = 0xB54F564C4A524E4CL;
    static final int VERSION = 2;
    static final int RECORD_HEADER = 8;
    static final int MAX_RECORD_CLUSTERS = 1 << 16;

    private final long size;
    private final FileChannel data;
    private final FileChannel journal;
    private final PieceSet written;
    /**
     * Written clusters known to hold only zeroes (written by WRITE_ZEROES or a TRIM), for block
     * status. In memory only: after a reopen they count as data, which is always a correct answer.
     */
    private final AtomicLongArray zeroed;
    private final ConcurrentLinkedQueue<Integer> unflushed = new ConcurrentLinkedQueue<>();
    private final ReentrantLock flushLock = new ReentrantLock();
    /** Where the last good record ends; appends go here. Guarded by {@link #flushLock}. */
    private long journalEnd;
    /** The failed force of the data file that makes every later flush fail; null while none failed. */
    private volatile IOException dataForceFailed;

    private Overlay(long size, FileChannel data, FileChannel journal, PieceSet written, long journalEnd) {
        this.size = size;
        this.data = data;
        this.journal = journal;
        this.written = written;
        this.zeroed = new AtomicLongArray((written.size() + 63) >>> 6);
        this.journalEnd = journalEnd;
    }

    static Overlay open(Path directory, long size) throws IOException {
        return open(directory, size, FileOpener.PRIVATE);
    }

    static Overlay open(Path directory, long size, FileOpener files) throws IOException {
        PrivateFiles.createDirectories(directory);
        long clusters = (size + CLUSTER - 1) / CLUSTER;
        if (clusters > Integer.MAX_VALUE) {
            throw new IOException("image too large for the overlay");
        }
        Path journalFile = directory.resolve("overlay.log");
        FileChannel data = files.open(directory.resolve("overlay.dat"), CREATE, READ, WRITE);
        FileChannel journal = null;
        try {
            journal = files.open(journalFile, CREATE, READ, WRITE);
            PieceSet written = new PieceSet((int) clusters);
            long end;
            switch (Journals.detect(journal, journalFile, MAGIC, VERSION)) {
                case EMPTY -> {
                    journal.truncate(0);
                    Journals.writeFully(journal, Journals.header(MAGIC, VERSION), 0);
                    journal.force(true);
                    Journals.forceDirectory(directory);
                    end = Journals.HEADER;
                }
                case CURRENT -> end = replay(journal, journalFile, (int) clusters, written);
                case OLD -> {
                    replayOld(journal, (int) clusters, written);
                    journal.close();
                    journal = null;
                    data.force(false);
                    ByteBuffer migrated = migrated(written);
                    end = migrated.remaining();
                    Journals.replaceMigrated(journalFile, migrated, files);
                    journal = files.open(journalFile, READ, WRITE);
                }
                default -> throw new IllegalStateException();
            }
            return new Overlay(size, data, journal, written, end);
        } catch (IOException | RuntimeException e) {
            data.close();
            if (journal != null) {
                journal.close();
            }
            throw e;
        }
    }

    /** Replays a format-2 journal into {@code written}; returns where its last good record ends. */
    private static long replay(FileChannel journal, Path file, int clusters, PieceSet written) throws IOException {
        long size = journal.size();
        ByteBuffer all = ByteBuffer.allocate((int) Math.min(size - Journals.HEADER, Integer.MAX_VALUE - 8));
        Journals.readFully(journal, all, Journals.HEADER);
        long record = 0;
        while (all.hasRemaining()) {
            int start = all.position();
            String bad = null;
            if (all.remaining() < RECORD_HEADER) {
                bad = "torn (a partial record header)";
            } else {
                int count = all.getInt(start);
                int crc = all.getInt(start + 4);
                if (count < 1 || count > MAX_RECORD_CLUSTERS) {
                    bad = "corrupt (cluster count " + count + ")";
                } else if (all.remaining() < RECORD_HEADER + (long) count * Integer.BYTES) {
                    bad = "torn (" + all.remaining() + " of " + (RECORD_HEADER + count * Integer.BYTES) + " bytes)";
                } else if (crc != recordCrc(all, start, count)) {
                    bad = "corrupt (CRC32C mismatch)";
                } else {
                    for (int i = 0; i < count && bad == null; i++) {
                        int c = all.getInt(start + RECORD_HEADER + i * Integer.BYTES);
                        if (c < 0 || c >= clusters) {
                            bad = "invalid (cluster " + c + " of a disk of " + clusters + ")";
                        }
                    }
                    if (bad == null) {
                        for (int i = 0; i < count; i++) {
                            written.add(all.getInt(start + RECORD_HEADER + i * Integer.BYTES));
                        }
                        all.position(start + RECORD_HEADER + count * Integer.BYTES);
                    }
                }
            }
            if (bad != null) {
                long offset = Journals.HEADER + start;
                Journals.stopAt(journal, file, record, offset, bad, offset);
                return offset;
            }
            record++;
        }
        return Journals.HEADER + all.position();
    }

    private static int recordCrc(ByteBuffer all, int start, int count) {
        // the count and the ids, skipping the CRC field between them
        java.util.zip.CRC32C c = new java.util.zip.CRC32C();
        c.update(all.slice(start, Integer.BYTES));
        c.update(all.slice(start + RECORD_HEADER, count * Integer.BYTES));
        return (int) c.getValue();
    }

    /** The format before version 2: bare ints, a torn tail ignored, ids outside the disk skipped. */
    private static void replayOld(FileChannel journal, int clusters, PieceSet written) throws IOException {
        long whole = journal.size() - journal.size() % Integer.BYTES;
        ByteBuffer all = ByteBuffer.allocate((int) whole);
        Journals.readFully(journal, all, 0);
        while (all.remaining() >= Integer.BYTES) {
            int c = all.getInt();
            if (c >= 0 && c < clusters) {
                written.add(c);
            }
        }
    }

    /** A whole format-2 journal holding {@code written}. */
    private static ByteBuffer migrated(PieceSet written) {
        int n = written.cardinality();
        int records = (n + MAX_RECORD_CLUSTERS - 1) / MAX_RECORD_CLUSTERS;
        ByteBuffer out = ByteBuffer.allocate(Journals.HEADER + records * RECORD_HEADER + n * Integer.BYTES);
        out.put(Journals.header(MAGIC, VERSION));
        int[] ids = new int[n];
        int[] k = {0};
        written.forEach(c -> ids[k[0]++] = c);
        putRecords(out, ids, n);
        return out.flip();
    }

    /** Appends records of {@code ids[0, n)}, at most {@link #MAX_RECORD_CLUSTERS} each, to {@code out}. */
    private static void putRecords(ByteBuffer out, int[] ids, int n) {
        for (int from = 0; from < n; from += MAX_RECORD_CLUSTERS) {
            int count = Math.min(MAX_RECORD_CLUSTERS, n - from);
            int start = out.position();
            out.putInt(count).putInt(0);
            for (int i = from; i < from + count; i++) {
                out.putInt(ids[i]);
            }
            out.putInt(start + 4, recordCrc(out, start, count));
        }
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

    /** True if {@code cluster} was written and is known to hold only zeroes. */
    boolean isZeroed(int cluster) {
        return (zeroed.get(cluster >>> 6) & (1L << cluster)) != 0;
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
     * without its data; a write that fails (a full disk) marks nothing.
     */
    void writeCluster(int cluster, ByteBuffer bytes) throws IOException {
        writeCluster(cluster, bytes, false);
    }

    /**
     * As {@link #writeCluster(int, ByteBuffer)}; {@code zeroes} says the bytes are all zero (the
     * caller knows: WRITE_ZEROES, TRIM), which block status reports. Callers serialize writes to a
     * cluster.
     */
    void writeCluster(int cluster, ByteBuffer bytes, boolean zeroes) throws IOException {
        long pos = (long) cluster * CLUSTER;
        if (!zeroes) {
            markZeroed(cluster, false);
        }
        while (bytes.hasRemaining()) {
            pos += data.write(bytes, pos);
        }
        if (zeroes) {
            markZeroed(cluster, true);
        }
        if (written.add(cluster)) {
            unflushed.add(cluster);
        }
    }

    private void markZeroed(int cluster, boolean zero) {
        long bit = 1L << cluster;
        int w = cluster >>> 6;
        while (true) {
            long old = zeroed.get(w);
            long now = zero ? old | bit : old & ~bit;
            if (old == now || zeroed.compareAndSet(w, old, now)) {
                return;
            }
        }
    }

    long clusterLength(int cluster) {
        return Math.min(CLUSTER, size - (long) cluster * CLUSTER);
    }

    /**
     * Makes every completed write durable. The clusters written since the last flush stay pending
     * until their journal record is forced; if the journal write fails, this throws, they stay pending
     * and the next flush writes them again (at the same place in the journal). If forcing the data
     * file fails, this and every later flush throw (see the class comment).
     */
    void flush() throws IOException {
        flushLock.lock();
        try {
            if (dataForceFailed != null) {
                throw new IOException("an earlier flush of the overlay failed (" + dataForceFailed.getMessage()
                        + "); writes since the last good flush may be lost, so no flush succeeds until the disk is"
                        + " opened again", dataForceFailed);
            }
            // clusters are queued after their data is written, so forcing after counting covers them;
            // only flush removes from the queue (under this lock), so its first n stay the same
            int n = unflushed.size();
            try {
                data.force(false);
            } catch (IOException e) {
                dataForceFailed = e;
                throw e;
            }
            if (n == 0) {
                return;
            }
            int[] ids = new int[n];
            Iterator<Integer> it = unflushed.iterator();
            for (int i = 0; i < n; i++) {
                ids[i] = it.next();
            }
            int records = (n + MAX_RECORD_CLUSTERS - 1) / MAX_RECORD_CLUSTERS;
            ByteBuffer b = ByteBuffer.allocate(records * RECORD_HEADER + n * Integer.BYTES);
            putRecords(b, ids, n);
            b.flip();
            int length = b.remaining();
            try {
                Journals.writeFully(journal, b, journalEnd);
                journal.force(false);
            } catch (IOException e) {
                Journals.cutAfterFailure(journal, journalEnd, e);
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
