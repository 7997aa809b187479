package io.bootswarm.agent.disk;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.manifest.PieceHash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

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
 * <p>Life: {@link #open} replays the journal and starts no thread; {@link #start()} starts the
 * background sync every {@code syncInterval}; {@link #close()} (idempotent) stops it and syncs a
 * last time. A store that is never started is synced only by {@link #sync()} and {@link #close()}.
 */
public final class PieceStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceStore.class);

    /** Journal record: 32-byte hash, int slot, int length. A record with slot -1 is a sync mark. */
    private static final int RECORD = PieceHash.BYTES + 8;
    private static final int SYNC_MARK = -1;

    private record Slot(int index, int length) {
    }

    private final int pieceSize;
    private final FileChannel data;
    private final FileChannel journal;
    private final Map<PieceHash, Slot> index = new ConcurrentHashMap<>();
    private final AtomicInteger nextSlot;
    private final ReentrantLock journalLock = new ReentrantLock();
    private final AtomicLong unsynced = new AtomicLong();
    private final Duration syncInterval;
    private Thread syncer;
    private volatile boolean closed;
    private final List<Consumer<PieceHash>> listeners = new CopyOnWriteArrayList<>();

    private PieceStore(int pieceSize, FileChannel data, FileChannel journal, int nextSlot, Duration syncInterval) {
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
    public synchronized PieceStore start() {
        if (syncer != null || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        syncer = Thread.ofVirtual().name("piece-store-sync").start(() -> syncLoop(syncInterval));
        return this;
    }

    /** Opens (or creates) the store in {@code directory}, replaying its journal; see {@link #start()}. */
    public static PieceStore open(Path directory, int pieceSize, Duration syncInterval) throws IOException {
        PrivateFiles.createDirectories(directory);
        FileChannel data = PrivateFiles.open(directory.resolve("pieces.dat"), CREATE, READ, WRITE);
        FileChannel journal = PrivateFiles.open(directory.resolve("index.log"), CREATE, READ, WRITE);
        Map<PieceHash, Slot> recovered = new HashMap<>();
        int next = replay(journal, data, pieceSize, recovered);
        PieceStore store = new PieceStore(pieceSize, data, journal, next, syncInterval);
        store.index.putAll(recovered);
        log.info("piece store {}: {} pieces recovered", directory, recovered.size());
        return store;
    }

    private static int replay(FileChannel journal, FileChannel data, int pieceSize, Map<PieceHash, Slot> into)
            throws IOException {
        long size = journal.size();
        long whole = size - size % RECORD;
        ByteBuffer all = ByteBuffer.allocate((int) Math.min(whole, Integer.MAX_VALUE - 8));
        journal.read(all, 0);
        all.flip();
        List<Unsynced> unsyncedRecords = new ArrayList<>();
        int next = 0;
        byte[] h = new byte[PieceHash.BYTES];
        while (all.remaining() >= RECORD) {
            long position = all.position();
            all.get(h);
            int slot = all.getInt();
            int length = all.getInt();
            if (slot == SYNC_MARK) {
                long covered = ByteBuffer.wrap(h).getLong();
                unsyncedRecords.removeIf(u -> {
                    if (u.position() < covered) {
                        into.put(u.hash(), u.slot());
                        return true;
                    }
                    return false;
                });
                continue;
            }
            if (slot < 0 || length <= 0 || length > pieceSize) {
                whole = position;
                break;
            }
            unsyncedRecords.add(new Unsynced(position, PieceHash.of(h, 0), new Slot(slot, length)));
            next = Math.max(next, slot + 1);
        }
        for (Unsynced u : unsyncedRecords) {
            if (slotMatches(data, pieceSize, u.hash(), u.slot())) {
                into.put(u.hash(), u.slot());
            }
        }
        if (!unsyncedRecords.isEmpty()) {
            log.info("piece store: re-verified {} pieces written after the last sync", unsyncedRecords.size());
        }
        if (size != whole) {
            journal.truncate(whole);
        }
        journal.position(whole);
        return next;
    }

    private record Unsynced(long position, PieceHash hash, Slot slot) {
    }

    private static boolean slotMatches(FileChannel data, int pieceSize, PieceHash hash, Slot slot) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(slot.length());
        long pos = (long) slot.index() * pieceSize;
        while (b.hasRemaining()) {
            if (data.read(b, pos + b.position()) < 0) {
                return false;
            }
        }
        try {
            return hash.matches(MessageDigest.getInstance("SHA-256").digest(b.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
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
            int slot = nextSlot.getAndIncrement();
            ByteBuffer b = ByteBuffer.wrap(piece.data(), 0, piece.length());
            long pos = (long) slot * pieceSize;
            while (b.hasRemaining()) {
                data.write(b, pos + b.position());
            }
            appendRecord(piece.hash(), slot, piece.length());
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

    private void appendRecord(PieceHash hash, int slot, int length) throws IOException {
        ByteBuffer r = ByteBuffer.allocate(RECORD);
        hash.copyTo(r.array(), 0);
        r.position(PieceHash.BYTES);
        r.putInt(slot).putInt(length).flip();
        while (r.hasRemaining()) {
            journal.write(r);
        }
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
            covered = journal.position();
        } finally {
            journalLock.unlock();
        }
        try {
            data.force(false);
            journal.force(false);
        } catch (IOException e) {
            unsynced.incrementAndGet();
            throw e;
        }
        journalLock.lock();
        try {
            byte[] mark = new byte[PieceHash.BYTES];
            ByteBuffer.wrap(mark).putLong(covered);
            appendRecord(PieceHash.of(mark, 0), SYNC_MARK, 0);
        } finally {
            journalLock.unlock();
        }
    }

    /** Whether the background sync runs now. */
    synchronized boolean syncing() {
        return syncer != null && syncer.isAlive();
    }

    private void syncLoop(Duration interval) {
        while (!closed) {
            try {
                Thread.sleep(interval);
                sync();
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                log.warn("piece store sync failed: {}", e.toString());
            }
        }
    }

    /** Stops the background sync, syncs and closes the files. Idempotent. */
    @Override
    public void close() throws IOException {
        Thread running;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            running = syncer;
        }
        if (running != null) {
            running.interrupt();
        }
        try {
            sync();
        } finally {
            data.close();
            journal.close();
        }
    }
}
