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
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
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
 *
 * <p>Quota and eviction ({@link CacheQuota}): when the store holds more than its quota, the
 * background thread (or {@link #evict()}) evicts pieces down to the low-water mark, least recently
 * used first: pieces no live disk {@linkplain #claim claims} first, then pieces a claim needs but
 * could fetch again; never a pinned piece. Last use is a logical access clock in memory, ticked by
 * every {@link #put} and read; it is not persisted: after a restart the recovered pieces are older
 * than anything used since, in the order of their journal records (oldest stored first). An
 * eviction is appended to the journal and the journal forced before the slot's bytes are touched;
 * the slot is then punched ({@link HolePunch}: the space goes back to the file system) after the
 * quota's punch delay and once no {@link #tryRead} of it is in progress, and only then reused. So a
 * crash anywhere in between leaves a journal that never claims a piece whose bytes are gone, and
 * {@link #open} punches every slot no record holds (a crash between the record and the punch).
 */
public final class PieceStore implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceStore.class);

    private final int pieceSize;
    private final FileChannel data;
    private final PieceIndexLog journal;
    private final Map<PieceHash, Entry> index = new ConcurrentHashMap<>();
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
    private final List<Consumer<PieceHash>> evictionListeners = new CopyOnWriteArrayList<>();

    private final CacheQuota quota;
    private final InstantSource clock;
    /** Null where holes cannot be punched: evicted slots are then only reused. */
    private final HolePunch punch;
    /** Slots evicted and punched, ready for reuse (guarded by {@link #journalLock}). */
    private final TreeSet<Integer> freeSlots = new TreeSet<>();
    /** Evicted slots not punched yet (guarded by {@link #evictLock}). */
    private final List<Evicted> unpunched = new ArrayList<>();
    private final ReentrantLock evictLock = new ReentrantLock();
    /** Guarded by {@link #evictLock}: the store was told it could not get under its quota (told once). */
    private boolean stuckWarned;
    /**
     * Guarded by {@link #evictLock}: eviction records were appended but forcing them failed; no slot
     * is punched until a force succeeds.
     */
    private boolean journalUnforced;
    private final List<PieceClaim> claims = new CopyOnWriteArrayList<>();
    private final AtomicLong accessClock = new AtomicLong();
    /** Bytes of the pieces held, each rounded up to whole blocks. */
    private final AtomicLong heldBytes = new AtomicLong();
    /** Bytes of the evicted slots not punched yet. */
    private final AtomicLong unpunchedBytes = new AtomicLong();
    private final AtomicLong hits = new AtomicLong();
    private final AtomicLong misses = new AtomicLong();
    private final AtomicLong evictions = new AtomicLong();
    /** Guarded by {@link #life}: an eviction pass is wanted before the next sync is due. */
    private boolean evictWanted;

    /** A stored piece: where it is, when it was last used, and the reads of it in progress. */
    private static final class Entry {
        final PieceHash hash;
        final Slot slot;
        volatile long lastUse;
        final AtomicInteger readers = new AtomicInteger();
        /** Set before the eviction is journaled: a reader that sees it backs off. */
        volatile boolean evicted;

        Entry(PieceHash hash, Slot slot, long lastUse) {
            this.hash = hash;
            this.slot = slot;
            this.lastUse = lastUse;
        }
    }

    private record Evicted(Entry entry, Instant at) {
    }

    /**
     * What the store holds and has done since it was opened.
     *
     * @param bytes        bytes the store's pieces take on disk, rounded up to whole 4 KiB blocks,
     *                     including evicted slots not punched yet
     * @param pieces       pieces held
     * @param hits         reads that found their piece here
     * @param misses       reads that did not
     * @param evictions    pieces evicted
     */
    public record Stats(long bytes, int pieces, long hits, long misses, long evictions) {
    }

    private PieceStore(int pieceSize, FileChannel data, PieceIndexLog journal, int nextSlot, Duration syncInterval,
                       CacheQuota quota, InstantSource clock, HolePunch punch) {
        this.pieceSize = pieceSize;
        this.data = data;
        this.journal = journal;
        this.nextSlot = new AtomicInteger(nextSlot);
        this.syncInterval = syncInterval;
        this.quota = quota;
        this.clock = clock;
        this.punch = punch;
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

    /** Opens (or creates) the store in {@code directory} without a quota; see {@link #start()}. */
    public static PieceStore open(Path directory, int pieceSize, Duration syncInterval) throws IOException {
        return open(directory, pieceSize, syncInterval, CacheQuota.unlimited(), InstantSource.system());
    }

    /**
     * Opens (or creates) the store in {@code directory}, replaying its journal, holding it to
     * {@code quota}; {@code clock} times the punch delay. See {@link #start()}.
     */
    public static PieceStore open(Path directory, int pieceSize, Duration syncInterval, CacheQuota quota,
                                  InstantSource clock) throws IOException {
        return open(directory, pieceSize, syncInterval, FileOpener.PRIVATE, quota, clock);
    }

    static PieceStore open(Path directory, int pieceSize, Duration syncInterval, FileOpener files)
            throws IOException {
        return open(directory, pieceSize, syncInterval, files, CacheQuota.unlimited(), InstantSource.system());
    }

    static PieceStore open(Path directory, int pieceSize, Duration syncInterval, FileOpener files, CacheQuota quota,
                           InstantSource clock) throws IOException {
        PrivateFiles.createDirectories(directory);
        Path dataFile = directory.resolve("pieces.dat");
        FileChannel data = files.open(dataFile, CREATE, READ, WRITE);
        HolePunch punch = null;
        try {
            Map<PieceHash, Slot> recovered = new LinkedHashMap<>();
            PieceIndexLog.Opened journal = PieceIndexLog.open(directory, data, pieceSize, files, recovered);
            punch = HolePunch.open(dataFile);
            PieceStore store = new PieceStore(pieceSize, data, journal.log(), journal.nextSlot(), syncInterval,
                    quota, clock, punch);
            store.recover(recovered);
            log.info("piece store {}: {} pieces recovered, {} bytes{}", directory, recovered.size(),
                    store.heldBytes.get(), quota.limited() ? " of a quota of " + quota.maxBytes() : "");
            return store;
        } catch (IOException | RuntimeException e) {
            data.close();
            if (punch != null) {
                punch.close();
            }
            throw e;
        }
    }

    /**
     * Indexes the recovered pieces, oldest record first, and frees (punching them) the slots below
     * the next one that no piece holds: evicted, or written by a put whose record was lost.
     */
    private void recover(Map<PieceHash, Slot> recovered) throws IOException {
        BitSet used = new BitSet();
        for (Map.Entry<PieceHash, Slot> r : recovered.entrySet()) {
            index.put(r.getKey(), new Entry(r.getKey(), r.getValue(), accessClock.incrementAndGet()));
            heldBytes.addAndGet(blocks(r.getValue().length()));
            used.set(r.getValue().index());
        }
        int punched = 0;
        for (int slot = used.nextClearBit(0); slot < nextSlot.get(); slot = used.nextClearBit(slot + 1)) {
            if (punch != null && punch.punch((long) slot * pieceSize, pieceSize)) {
                punched++;
            }
            freeSlots.add(slot);
        }
        if (!freeSlots.isEmpty()) {
            log.info("piece store: {} free slots ({} punched)", freeSlots.size(), punched);
        }
    }

    private static long blocks(int length) {
        return (length + 4095L) & ~4095L;
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

    /** This store's quota. */
    public CacheQuota quota() {
        return quota;
    }

    /** Counts since open, and the bytes held now. */
    public Stats stats() {
        return new Stats(heldBytes.get() + unpunchedBytes.get(), index.size(), hits.get(), misses.get(),
                evictions.get());
    }

    /**
     * Claims pieces for a live disk until the claim is closed (see {@link PieceClaim}).
     *
     * @param needs       the pieces the disk may read
     * @param refetchable whether the disk's source can fetch a piece again now
     */
    public PieceClaim claim(String owner, Collection<PieceHash> needs, BooleanSupplier refetchable) {
        PieceClaim c = new PieceClaim(this, owner, needs, refetchable);
        claims.add(c);
        return c;
    }

    void release(PieceClaim claim) {
        claims.remove(claim);
    }

    /** Tells {@code listener} of every piece evicted from now on (after readers stop seeing it). */
    public void addEvictionListener(Consumer<PieceHash> listener) {
        evictionListeners.add(listener);
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
            Integer free = freeSlots.isEmpty() ? null : freeSlots.first();
            int slot = free != null ? free : nextSlot.get();
            ByteBuffer b = ByteBuffer.wrap(piece.data(), 0, piece.length());
            Journals.writeFully(data, b, (long) slot * pieceSize);
            journal.append(piece.hash(), slot, piece.length());
            if (free != null) {
                freeSlots.remove(free);
            } else {
                nextSlot.set(slot + 1);
            }
            index.put(piece.hash(), new Entry(piece.hash(), new Slot(slot, piece.length()),
                    accessClock.incrementAndGet()));
            heldBytes.addAndGet(blocks(piece.length()));
            unsynced.incrementAndGet();
        } finally {
            journalLock.unlock();
        }
        for (Consumer<PieceHash> l : listeners) {
            l.accept(piece.hash());
        }
        if (overQuota()) {
            wakeForEviction();
        }
        return true;
    }

    /**
     * Reads {@code dst.remaining()} bytes of the piece {@code hash} from {@code offset} within it.
     *
     * @throws IllegalStateException if the piece is not here
     */
    public void read(PieceHash hash, int offset, ByteBuffer dst) throws IOException {
        if (!tryRead(hash, offset, dst)) {
            throw new IllegalStateException("piece " + hash + " is not in the store");
        }
    }

    /**
     * Reads as {@link #read} does if the piece is here, and returns false, {@code dst} untouched, if
     * it is not (never stored, or evicted, even while this call ran). An eviction does not touch the
     * slot's bytes while a read of it is in progress.
     */
    public boolean tryRead(PieceHash hash, int offset, ByteBuffer dst) throws IOException {
        Entry e = index.get(hash);
        if (e == null) {
            misses.incrementAndGet();
            return false;
        }
        e.readers.incrementAndGet();
        try {
            if (e.evicted) {
                misses.incrementAndGet();
                return false;
            }
            Slot s = e.slot;
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
            e.lastUse = accessClock.incrementAndGet();
            hits.incrementAndGet();
            return true;
        } finally {
            e.readers.decrementAndGet();
        }
    }

    /** The data file, for zero-copy sends of stored pieces (see {@link #position}). */
    FileChannel dataFile() {
        return data;
    }

    /**
     * Where the bytes of piece {@code hash} start in {@link #dataFile()}, or -1 if it is not here;
     * counted as a read. They stay there for the quota's punch delay even if the piece is evicted.
     */
    long position(PieceHash hash) {
        Entry e = index.get(hash);
        if (e == null || e.evicted) {
            return -1;
        }
        e.lastUse = accessClock.incrementAndGet();
        hits.incrementAndGet();
        return (long) e.slot.index() * pieceSize;
    }

    private boolean overQuota() {
        return quota.limited() && heldBytes.get() + unpunchedBytes.get() > quota.maxBytes();
    }

    private void wakeForEviction() {
        life.lock();
        try {
            evictWanted = true;
            closing.signalAll();
        } finally {
            life.unlock();
        }
    }

    /**
     * Punches the evicted slots that are due, then, if the store holds more than its quota, evicts
     * down to the low-water mark (see the class comment). Run by the background thread when a put
     * passes the quota and at every sync; callable directly.
     *
     * @return pieces evicted by this call
     */
    public int evict() throws IOException {
        evictLock.lock();
        try {
            punchDue();
            if (!overQuota()) {
                stuckWarned = false;
                return 0;
            }
            List<Entry> chosen = choose(heldBytes.get() + unpunchedBytes.get() - quota.lowWaterBytes());
            List<Entry> done = new ArrayList<>(chosen.size());
            journalLock.lock();
            try {
                for (Entry e : chosen) {
                    if (index.remove(e.hash, e)) {
                        e.evicted = true;
                        done.add(e);
                    }
                }
                if (!done.isEmpty()) {
                    try {
                        journal.appendEvictions(done.stream().map(e -> e.hash).toList(),
                                done.stream().map(e -> e.slot.index()).toList());
                    } catch (IOException failure) {
                        for (Entry e : done) {
                            e.evicted = false;
                            index.put(e.hash, e);
                        }
                        throw failure;
                    }
                    // the records reach the disk before any of the slots' bytes go
                    try {
                        journal.force();
                    } catch (IOException failure) {
                        journalUnforced = true;
                        log.warn("piece store: forcing {} evictions failed, their slots wait: {}", done.size(),
                                failure.toString());
                    }
                }
            } finally {
                journalLock.unlock();
            }
            Instant now = clock.instant();
            long bytes = 0;
            for (Entry e : done) {
                unpunched.add(new Evicted(e, now));
                bytes += blocks(e.slot.length());
            }
            unpunchedBytes.addAndGet(bytes);
            heldBytes.addAndGet(-bytes);
            evictions.addAndGet(done.size());
            if (!done.isEmpty()) {
                log.debug("piece store: evicted {} pieces ({} bytes)", done.size(), bytes);
            }
            for (Entry e : done) {
                for (Consumer<PieceHash> l : evictionListeners) {
                    l.accept(e.hash);
                }
            }
            punchDue();
            return done.size();
        } finally {
            evictLock.unlock();
        }
    }

    /**
     * The pieces to evict to free {@code bytes}: never a pinned one, nor one a claim needs whose
     * source cannot fetch it again; unclaimed ones before claimed ones, each least recently used first.
     */
    private List<Entry> choose(long bytes) {
        List<PieceClaim> live = List.copyOf(claims);
        List<Entry> unclaimed = new ArrayList<>();
        List<Entry> refetchable = new ArrayList<>();
        boolean[] canRefetch = new boolean[live.size()];
        for (int i = 0; i < live.size(); i++) {
            canRefetch[i] = live.get(i).refetchable();
        }
        entries:
        for (Entry e : index.values()) {
            boolean needed = false;
            for (int i = 0; i < live.size(); i++) {
                PieceClaim c = live.get(i);
                if (c.pins(e.hash)) {
                    continue entries;
                }
                if (c.needs(e.hash)) {
                    if (!canRefetch[i]) {
                        continue entries;
                    }
                    needed = true;
                }
            }
            (needed ? refetchable : unclaimed).add(e);
        }
        Comparator<Entry> lru = Comparator.comparingLong(e -> e.lastUse);
        unclaimed.sort(lru);
        refetchable.sort(lru);
        List<Entry> chosen = new ArrayList<>();
        long freed = 0;
        for (List<Entry> tier : List.of(unclaimed, refetchable)) {
            for (Entry e : tier) {
                if (freed >= bytes) {
                    return chosen;
                }
                chosen.add(e);
                freed += blocks(e.slot.length());
            }
        }
        if (freed < bytes && !stuckWarned) {
            stuckWarned = true;
            log.warn("piece store: over its quota of {} bytes by {} after evicting all it may (pinned or needed "
                    + "pieces that cannot be fetched again)", quota.maxBytes(), bytes - freed);
        }
        return chosen;
    }

    /**
     * Punches the evicted slots whose delay has passed and that no read holds (adjacent ones in one
     * call), and frees them for reuse.
     */
    private void punchDue() throws IOException {
        if (journalUnforced) {
            journalLock.lock();
            try {
                journal.force();
                journalUnforced = false;
            } catch (IOException e) {
                log.warn("piece store: forcing evictions failed again, their slots wait: {}", e.toString());
                return;
            } finally {
                journalLock.unlock();
            }
        }
        Instant now = clock.instant();
        List<Evicted> due = new ArrayList<>();
        for (Evicted ev : unpunched) {
            if (!now.isBefore(ev.at().plus(quota.punchDelay())) && ev.entry().readers.get() == 0) {
                due.add(ev);
            }
        }
        due.sort(Comparator.comparingInt(ev -> ev.entry().slot.index()));
        Set<Evicted> punched = Collections.newSetFromMap(new IdentityHashMap<>());
        try {
            punchRuns(due, punched);
        } finally {
            unpunched.removeIf(punched::contains);
        }
    }

    /** Punches {@code due} (sorted by slot) run by run of adjacent slots, adding each run to {@code punched}. */
    private void punchRuns(List<Evicted> due, Set<Evicted> punched) throws IOException {
        int i = 0;
        while (i < due.size()) {
            int j = i + 1;
            while (j < due.size() && due.get(j).entry().slot.index() == due.get(j - 1).entry().slot.index() + 1) {
                j++;
            }
            int first = due.get(i).entry().slot.index();
            if (punch != null) {
                punch.punch((long) first * pieceSize, (long) (j - i) * pieceSize);
            }
            long bytes = 0;
            journalLock.lock();
            try {
                for (Evicted ev : due.subList(i, j)) {
                    freeSlots.add(ev.entry().slot.index());
                    bytes += blocks(ev.entry().slot.length());
                }
            } finally {
                journalLock.unlock();
            }
            punched.addAll(due.subList(i, j));
            unpunchedBytes.addAndGet(-bytes);
            i = j;
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
            if (quota.limited()) {
                try {
                    evict();
                } catch (IOException | RuntimeException e) {
                    log.warn("piece store eviction failed: {}", e.toString());
                }
            }
        }
    }

    /**
     * Waits {@link #syncInterval}, until an eviction is wanted or until closed; returns whether to
     * sync (false once closed).
     */
    private boolean awaitNextSync() {
        life.lock();
        try {
            long nanos = syncInterval.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0
                    ? Long.MAX_VALUE : syncInterval.toNanos();
            while (!closed && !evictWanted && nanos > 0) {
                nanos = closing.awaitNanos(nanos);
            }
            evictWanted = false;
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
                if (punch != null) {
                    punch.close();
                }
            } finally {
                if (interrupted) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
