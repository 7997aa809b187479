package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.PieceHash;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The {@link PieceStore}'s append-only index, {@code index.log}: which piece (by hash) is in which
 * slot of {@code pieces.dat}, and how much of both files was last forced to disk.
 *
 * <p>On-disk format 3: the {@link Journals} header ({@link #MAGIC} "\u00b5PIECIDX", version
 * {@link #VERSION}), then records of {@link #RECORD} = 44 bytes, big-endian: the 32-byte piece hash,
 * {@code int slot}, {@code int length} (1 to the piece size), {@code int crc32c} of the 40 bytes
 * before it. A record with slot -1 is a sync mark: its length is 0 and the first 8 bytes of its
 * "hash" hold the journal offset it covers; every record that starts before that offset was forced,
 * data file first, before the mark was appended. A record with slot -2 is an eviction: the piece
 * {@code hash} left the slot held in its length field, whose bytes may be gone (punched) from then
 * on; replay forgets the piece there and the slot is free again.
 *
 * <p>Format 2 is format 3 without evictions: it is read as it is, and its header is rewritten to
 * version 3 (in place, forced) just before the first eviction is appended, so that an agent that
 * knows only format 2 refuses the file instead of trusting a record whose bytes were punched.
 *
 * <p>{@link #open} replays the file: it stops at the first torn, corrupt (CRC32C mismatch) or
 * invalid record, keeps every record before it and cuts the file there, keeping the dropped bytes in
 * {@code index.log.bad-<offset>} ({@link Journals#stopAt}). A record that no sync mark covers is
 * trusted only if its slot's bytes still hash to its hash. An index of the format before (the same
 * records without the CRC, no header) is read by the old rules (whole records, up to the first
 * invalid one) and migrated once, through {@link Journals#replaceMigrated}, into a format-3 file
 * whose records one sync mark covers; the old file is kept as {@code index.log.v1}.
 *
 * <p>Appends go positionally at the end of the last good record, so a failed one leaves the file
 * ending with its last good record again. Not thread-safe: the caller serializes appends.
 */
final class PieceIndexLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PieceIndexLog.class);

    /** "\u00b5PIECIDX": the index's magic. */
    static final long MAGIC = 0xB550494543494458L;
    static final int VERSION = 3;
    /** The oldest format read as it is: the same records, without evictions. */
    static final int OLDEST_READ = 2;
    /** Record: 32-byte hash, int slot, int length, int CRC32C. A record with slot -1 is a sync mark. */
    static final int RECORD = PieceHash.BYTES + 12;
    /** A record of the format before version 2: no CRC. */
    private static final int OLD_RECORD = PieceHash.BYTES + 8;
    private static final int SYNC_MARK = -1;
    private static final int EVICTION = -2;

    /** Where a piece is in the data file: slot {@code index}, its first {@code length} bytes. */
    record Slot(int index, int length) {
    }

    /** An opened index, and the next free slot its records leave. */
    record Opened(PieceIndexLog log, int nextSlot) {
    }

    private final FileChannel journal;
    /** Where the last good record ends; appends go here. */
    private long end;
    /** The format version in the file's header. */
    private int version;

    private PieceIndexLog(FileChannel journal, long end, int version) {
        this.journal = journal;
        this.end = end;
        this.version = version;
    }

    /**
     * Opens (or creates) {@code index.log} in {@code directory}, the index of the data file
     * {@code data}, replaying it into {@code into}; migrates an index of the format before.
     */
    static Opened open(Path directory, FileChannel data, int pieceSize, FileOpener files,
                       Map<PieceHash, Slot> into) throws IOException {
        Path file = directory.resolve("index.log");
        FileChannel journal = files.open(file, CREATE, READ, WRITE);
        try {
            int next;
            long end;
            int version = VERSION;
            switch (Journals.detect(journal, file, MAGIC, OLDEST_READ, VERSION)) {
                case EMPTY -> {
                    journal.truncate(0);
                    Journals.writeFully(journal, Journals.header(MAGIC, VERSION), 0);
                    journal.force(true);
                    Journals.forceDirectory(directory);
                    next = 0;
                    end = Journals.HEADER;
                }
                case CURRENT -> {
                    version = headerVersion(journal);
                    Replayed r = replay(journal, file, data, pieceSize, into, false);
                    next = r.nextSlot();
                    end = r.end();
                }
                case OLD -> {
                    next = replay(journal, file, data, pieceSize, into, true).nextSlot();
                    journal.close();
                    journal = null;
                    // every recovered piece is verified or was synced: force the data, then write
                    // them all as synced records of the new format
                    data.force(false);
                    ByteBuffer migrated = migrated(into);
                    end = migrated.remaining();
                    Journals.replaceMigrated(file, migrated, files);
                    journal = files.open(file, READ, WRITE);
                }
                default -> throw new IllegalStateException();
            }
            return new Opened(new PieceIndexLog(journal, end, version), next);
        } catch (IOException | RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            throw e;
        }
    }

    private record Replayed(int nextSlot, long end) {
    }

    private static int headerVersion(FileChannel journal) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(Journals.HEADER);
        Journals.readFully(journal, h, 0);
        return h.getInt(8);
    }

    private record Unsynced(long position, PieceHash hash, Slot slot) {
    }

    /**
     * Replays the journal into {@code into}: format 2 or 3 from after its header, stopping at the first
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
            if (slot == EVICTION && !old && length >= 0) {
                PieceHash evicted = PieceHash.of(h, 0);
                Slot held = into.get(evicted);
                if (held != null && held.index() == length) {
                    into.remove(evicted);
                }
                unsyncedRecords.removeIf(u -> u.hash().equals(evicted) && u.slot().index() == length);
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

    /** A whole format-3 index holding {@code pieces}, followed by a sync mark covering them. */
    private static ByteBuffer migrated(Map<PieceHash, Slot> pieces) {
        ByteBuffer out = ByteBuffer.allocate(Journals.HEADER + (pieces.size() + 1) * RECORD);
        out.put(Journals.header(MAGIC, VERSION));
        for (Map.Entry<PieceHash, Slot> e : pieces.entrySet()) {
            putRecord(out, e.getKey(), e.getValue().index(), e.getValue().length());
        }
        putRecord(out, syncMark(out.position()), SYNC_MARK, 0);
        return out.flip();
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

    /** Where the last good record ends: what a sync mark appended now would cover. */
    long end() {
        return end;
    }

    /** Appends a sync mark covering the records before {@code covered} (an earlier {@link #end()}). */
    void appendSyncMark(long covered) throws IOException {
        append(syncMark(covered), SYNC_MARK, 0);
    }

    /**
     * Appends the evictions of pieces {@code hashes} from {@code slots} in one write (all or, on
     * failure, none: the file ends with its last good record again); the caller forces the journal
     * before the slot's bytes go. Upgrades a format-2 header first (see the class comment).
     */
    void appendEvictions(List<PieceHash> hashes, List<Integer> slots) throws IOException {
        if (version < VERSION) {
            Journals.writeFully(journal, Journals.header(MAGIC, VERSION), 0);
            journal.force(false);
            version = VERSION;
        }
        ByteBuffer r = ByteBuffer.allocate(hashes.size() * RECORD);
        for (int i = 0; i < hashes.size(); i++) {
            putRecord(r, hashes.get(i), EVICTION, slots.get(i));
        }
        r.flip();
        try {
            Journals.writeFully(journal, r, end);
        } catch (IOException e) {
            Journals.cutAfterFailure(journal, end, e);
            throw e;
        }
        end += r.limit();
    }

    /** Forces the index's records to disk (not its metadata). */
    void force() throws IOException {
        journal.force(false);
    }

    /**
     * Appends the record of piece {@code hash} in {@code slot} at {@link #end}; on failure the file
     * ends with its last good record again.
     */
    void append(PieceHash hash, int slot, int length) throws IOException {
        ByteBuffer r = ByteBuffer.allocate(RECORD);
        putRecord(r, hash, slot, length);
        r.flip();
        try {
            Journals.writeFully(journal, r, end);
        } catch (IOException e) {
            Journals.cutAfterFailure(journal, end, e);
            throw e;
        }
        end += RECORD;
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

    @Override
    public void close() throws IOException {
        journal.close();
    }
}
