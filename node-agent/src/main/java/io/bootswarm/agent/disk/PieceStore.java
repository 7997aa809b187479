package io.bootswarm.agent.disk;

import io.bootswarm.agent.disk.PieceIndexLog.Slot;
import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.manifest.PieceHash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The host's verified pieces on local disk, addressed by content ({@link PieceHash}), shared by
 * every disk and image on the host: a piece is stored once however many launches or images
 * contain it.
 *
 * <p>Layout: {@code pieces.dat} holds one slot of {@code pieceSize} bytes per piece;
 * {@code index.log} is an append-only journal of (hash, slot, length) records. A piece is written
 * to its slot, then its record is appended, both before {@link #put} returns, so a killed agent
 * loses nothing the kernel accepted. For machine crashes, a background task forces the data file
 * and then the journal, and appends a sync mark; on open, records after the last sync mark are
 * trusted only if the slot's bytes still hash to the record's hash.
 *
 * <p>{@link PieceIndexLog} describes {@code index.log}: its format, its replay and its migration.
 *
 * <p>A full disk (or any failed write) fails {@link #put} and changes nothing: the slot is used
 * again by the next piece, and a record written part way is overwritten by the next one, so the
 * pieces stored before stay readable and verified.
 *
 * <p>Life: {@link #open} replays the journal and starts no thread; {@link #start()} starts the
 * background sync every {@code syncInterval}; {@link #close()} (idempotent) stops it, waits for it
 * and syncs a last time. A store that is never started is synced only by {@link #sync()} and
 * {@link #close()}. The sync thread is woken by a signal, never interrupted: an interrupt during a
 * {@link FileChannel} operation would close the channel for every user.
 */
public final class PieceStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceStore.class);

    private final int pieceSize;
    private final FileChannel data;
    private final PieceIndexLog journal;
    private final Map<PieceHash, Slot> index = new ConcurrentHashMap<>();
    private final AtomicInteger nextSlot;
    /** Serializes puts and the journal's appends. */
    private final ReentrantLock journalLock = new ReentrantLock();
    private final AtomicLong unsynced = new AtomicLong();
    private final Duration syncInterval;
    /** Guards {@link #syncer} and {@link #closed}; {@link #closing} wakes the sync thread. */
    private final ReentrantLock life = new ReentrantLock();
    private final Condition closing = life.newCondition();
    private Thread syncer;
    private volatile boolean closed;
    private final List<Consumer<PieceHash>> listeners = new CopyOnWriteArrayList<>();

    private PieceStore(int pieceSize, FileChannel data, PieceIndexLog journal, int nextSlot, Duration syncInterval) {
        this.pieceSize = pieceSize;
        this.data = data;
        this.journal = journal;
        this.nextSlot = new AtomicInteger(nextSlot);
        this.syncInterval = syncInterval;
    }

    /**
     * Starts syncing in the background every {@code syncInterval}.
     *
     * @return this
     * @throws IllegalStateException if already started or closed
     */
    public PieceStore start() {
        life.lock();
        try {
            if (syncer != null || closed) {
                throw new IllegalStateException(closed ? "closed" : "already started");
            }
            syncer = Thread.ofVirtual().name("piece-store-sync").start(this::syncLoop);
            return this;
        } finally {
            life.unlock();
        }
    }

    /** Opens (or creates) the store in {@code directory}, replaying its journal; see {@link #start()}. */
    public static PieceStore open(Path directory, int pieceSize, Duration syncInterval) throws IOException {
        return open(directory, pieceSize, syncInterval, FileOpener.PRIVATE);
    }

    static PieceStore open(Path directory, int pieceSize, Duration syncInterval, FileOpener files)
            throws IOException {
        PrivateFiles.createDirectories(directory);
        FileChannel data = files.open(directory.resolve("pieces.dat"), CREATE, READ, WRITE);
        try {
            Map<PieceHash, Slot> recovered = new HashMap<>();
            PieceIndexLog.Opened journal = PieceIndexLog.open(directory, data, pieceSize, files, recovered);
            PieceStore store = new PieceStore(pieceSize, data, journal.log(), journal.nextSlot(), syncInterval);
            store.index.putAll(recovered);
            log.info("piece store {}: {} pieces recovered", directory, recovered.size());
            return store;
        } catch (IOException | RuntimeException e) {
            data.close();
            throw e;
        }
    }

    public int pieceSize() {
        return pieceSize;
    }

    public boolean contains(PieceHash hash) {
        return index.containsKey(hash);
    }

    /** Pieces held. */
    public int count() {
        return index.size();
    }

    /** Tells {@code listener} of every piece stored from now on (after readers can see it). */
    public void addListener(Consumer<PieceHash> listener) {
        listeners.add(listener);
    }

    /**
     * Stores a verified piece; returns false if it was already here. When this returns, readers
     * see the piece and a killed agent keeps it.
     */
    public boolean put(VerifiedPiece piece) throws IOException {
        if (piece.length() > pieceSize) {
            throw new IllegalArgumentException("piece of " + piece.length() + " bytes in a store of " + pieceSize);
        }
        if (index.containsKey(piece.hash())) {
            return false;
        }
        journalLock.lock();
        try {
            if (index.containsKey(piece.hash())) {
                return false;
            }
            // the slot is taken only once the piece is in: a failed put (a full disk) leaves it free
            int slot = nextSlot.get();
            ByteBuffer b = ByteBuffer.wrap(piece.data(), 0, piece.length());
            Journals.writeFully(data, b, (long) slot * pieceSize);
            journal.append(piece.hash(), slot, piece.length());
            nextSlot.set(slot + 1);
            index.put(piece.hash(), new Slot(slot, piece.length()));
            unsynced.incrementAndGet();
        } finally {
            journalLock.unlock();
        }
        for (Consumer<PieceHash> l : listeners) {
            l.accept(piece.hash());
        }
        return true;
    }

    /**
     * Reads {@code dst.remaining()} bytes of the piece {@code hash} from {@code offset} within it.
     *
     * @throws IllegalStateException if the piece is not here
     */
    public void read(PieceHash hash, int offset, ByteBuffer dst) throws IOException {
        Slot s = index.get(hash);
        if (s == null) {
            throw new IllegalStateException("piece " + hash + " is not in the store");
        }
        if (offset < 0 || offset + dst.remaining() > s.length()) {
            throw new IndexOutOfBoundsException("read [" + offset + ", +" + dst.remaining() + ") of a piece of "
                    + s.length());
        }
        long pos = (long) s.index() * pieceSize + offset;
        while (dst.hasRemaining()) {
            int n = data.read(dst, pos);
            if (n < 0) {
                throw new IOException("piece store data file is shorter than its index");
            }
            pos += n;
        }
    }

    /** The data file, for zero-copy sends of stored pieces (see {@link #position}). */
    FileChannel dataFile() {
        return data;
    }

    /** Where the bytes of piece {@code hash} start in {@link #dataFile()}, or -1 if it is not here. */
    long position(PieceHash hash) {
        Slot s = index.get(hash);
        return s == null ? -1 : (long) s.index() * pieceSize;
    }

    /**
     * Makes every piece stored so far survive a machine crash: forces the data file, then the
     * journal, then appends a sync mark naming the journal offset it covers.
     */
    public void sync() throws IOException {
        long covered;
        journalLock.lock();
        try {
            if (unsynced.getAndSet(0) == 0) {
                return;
            }
            covered = journal.end();
        } finally {
            journalLock.unlock();
        }
        try {
            data.force(false);
            journal.force();
        } catch (IOException e) {
            unsynced.incrementAndGet();
            throw e;
        }
        journalLock.lock();
        try {
            journal.appendSyncMark(covered);
        } catch (IOException e) {
            unsynced.incrementAndGet();
            throw e;
        } finally {
            journalLock.unlock();
        }
    }

    /** Whether the background sync runs now. */
    boolean syncing() {
        life.lock();
        try {
            return syncer != null && syncer.isAlive();
        } finally {
            life.unlock();
        }
    }

    private void syncLoop() {
        while (awaitNextSync()) {
            try {
                sync();
            } catch (IOException e) {
                log.warn("piece store sync failed: {}", e.toString());
            }
        }
    }

    /** Waits {@link #syncInterval} or until closed; returns whether to sync (false once closed). */
    private boolean awaitNextSync() {
        life.lock();
        try {
            long nanos = syncInterval.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0
                    ? Long.MAX_VALUE : syncInterval.toNanos();
            while (!closed && nanos > 0) {
                nanos = closing.awaitNanos(nanos);
            }
            return !closed;
        } catch (InterruptedException e) {
            return false; // close() never interrupts this thread; whoever did, close() still syncs
        } finally {
            life.unlock();
        }
    }

    /**
     * Stops the background sync and waits for it, syncs and closes the files. Idempotent. The sync
     * thread is signalled, not interrupted (see the class comment).
     */
    @Override
    public void close() throws IOException {
        Thread running;
        life.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            running = syncer;
            closing.signalAll();
        } finally {
            life.unlock();
        }
        // an interrupt of the caller must not reach the channels either: restore it at the end
        boolean interrupted = Thread.interrupted();
        while (running != null) {
            try {
                running.join();
                running = null;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        try {
            sync();
        } finally {
            try {
                data.close();
                journal.close();
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
