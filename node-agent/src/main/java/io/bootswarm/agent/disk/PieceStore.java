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
 * <p>{@code index.log} (format 2): the {@link Journals} header with {@link #MAGIC}, then records of
 * 44 bytes: the 32-byte hash, {@code int slot}, {@code int length}, {@code int crc32c} of the 40
 * bytes before it. Replay stops at the first torn, corrupt or invalid record, keeps every record
 * before it and logs where it stopped. An index of the format before (the same records without the
 * CRC, no header) is read by the old rules and migrated once.
 *
 * <p>A full disk (or any failed write) fails {@link #put} and changes nothing: the slot is used
 * again by the next piece, and a record written part way is overwritten by the next one, so the
 * pieces stored before stay readable and verified.
 *
 * <p>Life: {@link #open} replays the journal and starts no thread; {@link #start()} starts the
 * background sync every {@code syncInterval}; {@link #close()} (idempotent) stops it and syncs a
 * last time. A store that is never started is synced only by {@link #sync()} and {@link #close()}.
 */
public final class PieceStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceStore.class);

    /** "\u00b5PIECIDX": the index's magic. */
    static final long MAGIC = 0xB550494543494458L;
    static final int VERSION = 2;
    /** Journal record: 32-byte hash, int slot, int length, int CRC32C. A record with slot -1 is a sync mark. */
    static final int RECORD = PieceHash.BYTES + 12;
    /** A record of the format before version 2: no CRC. */
    private static final int OLD_RECORD = PieceHash.BYTES + 8;
    private static final int SYNC_MARK = -1;

    private record Slot(int index, int length) {
    }

    private final int pieceSize;
    private final FileChannel data;
    private final FileChannel journal;
    private final Map<PieceHash, Slot> index = new ConcurrentHashMap<>();
    private final AtomicInteger nextSlot;
    /** Where the last good record ends; appends go here. Guarded by {@link #journalLock}. */
    private long journalEnd;
    private final ReentrantLock journalLock = new ReentrantLock();
    private final AtomicLong unsynced = new AtomicLong();
    private final Duration syncInterval;
    private Thread syncer;
    private volatile boolean closed;
    private final List<Consumer<PieceHash>> listeners = new CopyOnWriteArrayList<>();

    private PieceStore(int pieceSize, FileChannel data, FileChannel journal, int nextSlot, long journalEnd,
                       Duration syncInterval) {
        this.pieceSize = pieceSize;
        this.journalEnd = journalEnd;
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
        return open(directory, pieceSize, syncInterval, FileOpener.PRIVATE);
    }

    static PieceStore open(Path directory, int pieceSize, Duration syncInterval, FileOpener files)
            throws IOException {
        PrivateFiles.createDirectories(directory);
        Path journalFile = directory.resolve("index.log");
        FileChannel data = files.open(directory.resolve("pieces.dat"), CREATE, READ, WRITE);
        FileChannel journal = null;
        try {
            journal = files.open(journalFile, CREATE, READ, WRITE);
            Map<PieceHash, Slot> recovered = new HashMap<>();
            int next;
            long end;
            switch (Journals.detect(journal, journalFile, MAGIC, VERSION)) {
                case EMPTY -> {
                    journal.truncate(0);
                    Journals.writeFully(journal, Journals.header(MAGIC, VERSION), 0);
                    journal.force(true);
                    Journals.forceDirectory(directory);
                    next = 0;
                    end = Journals.HEADER;
                }
                case CURRENT -> {
                    Replayed r = replay(journal, journalFile, data, pieceSize, recovered, false);
                    next = r.nextSlot();
                    end = r.end();
                }
                case OLD -> {
                    next = replay(journal, journalFile, data, pieceSize, recovered, true).nextSlot();
                    journal.close();
                    journal = null;
                    // every recovered piece is verified or was synced: force the data, then write
                    // them all as synced records of the new format
                    data.force(false);
                    ByteBuffer migrated = migrated(recovered);
                    end = migrated.remaining();
                    Journals.replaceMigrated(journalFile, migrated, files);
                    journal = files.open(journalFile, READ, WRITE);
                }
                default -> throw new IllegalStateException();
            }
            PieceStore store = new PieceStore(pieceSize, data, journal, next, end, syncInterval);
            store.index.putAll(recovered);
            log.info("piece store {}: {} pieces recovered", directory, recovered.size());
            return store;
        } catch (IOException | RuntimeException e) {
            data.close();
            if (journal != null) {
                journal.close();
            }
            throw e;
        }
    }

    private record Replayed(int nextSlot, long end) {
    }

    /**
     * Replays the journal into {@code into}: format 2 from after its header, stopping at the first
     * bad record; or ({@code old}) the format before, by its rules (whole records only, stopping at
     * the first invalid one). Returns the next free slot and where the last good record ends.
     */
    private static Replayed replay(FileChannel journal, Path file, FileChannel data, int pieceSize,
                                   Map<PieceHash, Slot> into, boolean old) throws IOException {
        long size = journal.size();
        int recordSize = old ? OLD_RECORD : RECORD;
        long base = old ? 0 : Journals.HEADER;
        ByteBuffer all = ByteBuffer.allocate((int) Math.min(size - base, Integer.MAX_VALUE - 8));
        Journals.readFully(journal, all, base);
        List<Unsynced> unsyncedRecords = new ArrayList<>();
        int next = 0;
        byte[] h = new byte[PieceHash.BYTES];
        long whole = base;
        long record = 0;
        String bad = null;
        while (all.hasRemaining()) {
            long position = base + all.position();
            whole = position;
            if (all.remaining() < recordSize) {
                bad = old ? null : "torn (" + all.remaining() + " of " + recordSize + " bytes)";
                break;
            }
            if (!old && all.getInt(all.position() + OLD_RECORD)
                    != Journals.crc(all.array(), all.position(), OLD_RECORD)) {
                bad = "corrupt (CRC32C mismatch)";
                break;
            }
            int start = all.position();
            all.get(h);
            int slot = all.getInt();
            int length = all.getInt();
            all.position(start + recordSize);
            if (slot == SYNC_MARK) {
                long covered = ByteBuffer.wrap(h).getLong();
                unsyncedRecords.removeIf(u -> {
                    if (u.position() < covered) {
                        into.put(u.hash(), u.slot());
                        return true;
                    }
                    return false;
                });
                whole = base + all.position();
                record++;
                continue;
            }
            if (slot < 0 || length <= 0 || length > pieceSize) {
                bad = old ? null : "invalid (slot " + slot + ", length " + length + ")";
                break;
            }
            unsyncedRecords.add(new Unsynced(position, PieceHash.of(h, 0), new Slot(slot, length)));
            next = Math.max(next, slot + 1);
            whole = base + all.position();
            record++;
        }
        for (Unsynced u : unsyncedRecords) {
            if (slotMatches(data, pieceSize, u.hash(), u.slot())) {
                into.put(u.hash(), u.slot());
            }
        }
        if (!unsyncedRecords.isEmpty()) {
            log.info("piece store: re-verified {} pieces written after the last sync", unsyncedRecords.size());
        }
        if (bad != null) {
            Journals.stopAt(journal, file, record, whole, bad, whole);
        } else if (size != whole && !old) {
            journal.truncate(whole);
        }
        return new Replayed(next, whole);
    }

    /** A whole format-2 index holding {@code pieces}, followed by a sync mark covering them. */
    private static ByteBuffer migrated(Map<PieceHash, Slot> pieces) {
        ByteBuffer out = ByteBuffer.allocate(Journals.HEADER + (pieces.size() + 1) * RECORD);
        out.put(Journals.header(MAGIC, VERSION));
        for (Map.Entry<PieceHash, Slot> e : pieces.entrySet()) {
            putRecord(out, e.getKey(), e.getValue().index(), e.getValue().length());
        }
        putRecord(out, syncMark(out.position()), SYNC_MARK, 0);
        return out.flip();
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
            // the slot is taken only once the piece is in: a failed put (a full disk) leaves it free
            int slot = nextSlot.get();
            ByteBuffer b = ByteBuffer.wrap(piece.data(), 0, piece.length());
            Journals.writeFully(data, b, (long) slot * pieceSize);
            appendRecord(piece.hash(), slot, piece.length());
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

    /** Appends a record at {@link #journalEnd}; on failure the file ends with its last good record again. */
    private void appendRecord(PieceHash hash, int slot, int length) throws IOException {
        ByteBuffer r = ByteBuffer.allocate(RECORD);
        putRecord(r, hash, slot, length);
        r.flip();
        try {
            Journals.writeFully(journal, r, journalEnd);
        } catch (IOException e) {
            Journals.cutAfterFailure(journal, journalEnd, e);
            throw e;
        }
        journalEnd += RECORD;
    }

    private static void putRecord(ByteBuffer out, PieceHash hash, int slot, int length) {
        int start = out.position();
        hash.copyTo(out.array(), start);
        out.position(start + PieceHash.BYTES);
        out.putInt(slot).putInt(length);
        out.putInt(Journals.crc(out.array(), start, OLD_RECORD));
    }

    /** A sync mark's "hash": the journal offset it covers, in the first 8 bytes. */
    private static PieceHash syncMark(long covered) {
        byte[] mark = new byte[PieceHash.BYTES];
        ByteBuffer.wrap(mark).putLong(covered);
        return PieceHash.of(mark, 0);
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
            covered = journalEnd;
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
            appendRecord(syncMark(covered), SYNC_MARK, 0);
        } catch (IOException e) {
            unsynced.incrementAndGet();
            throw e;
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
