package io.bootswarm.agent.disk;

import io.bootswarm.agent.files.PrivateFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * What the append-only journals of the {@link Overlay} ({@code overlay.log}) and the
 * {@link PieceStore} ({@code index.log}) share: a 16-byte header (an 8-byte magic naming the file's
 * kind, an int format version, the CRC32C of those 12 bytes), records that each carry a CRC32C so
 * that replay can tell a torn or corrupt record and stop there, and the one-time migration of a
 * journal of the format before the header (which had neither).
 *
 * <p>Appends are positional at the end of the last good record ({@code end}), never relative to the
 * channel's position: a write that fails part way leaves bytes past {@code end} that the next append
 * overwrites, so one failed append never misaligns the records after it.
 */
final class Journals {

    private static final Logger log = LoggerFactory.getLogger(Journals.class);
    /** How many {@code .bad-*} files of one journal are kept. */
    static final int BAD_KEPT = 3;

    static final int HEADER = 16;

    /** What {@link #detect} found at the start of a journal. */
    enum Format {
        /** No records: a new file, or a header torn while the file was created. */
        EMPTY,
        /** The header of the current version: records follow from {@link #HEADER}. */
        CURRENT,
        /** No header: the format before version 2, to be read by the old rules and migrated. */
        OLD
    }

    private Journals() {
    }

    static ByteBuffer header(long magic, int version) {
        ByteBuffer h = ByteBuffer.allocate(HEADER).putLong(magic).putInt(version);
        h.putInt(crc(h.array(), 0, 12));
        return h.flip();
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C c = new CRC32C();
        c.update(bytes, offset, length);
        return (int) c.getValue();
    }

    static int crc(ByteBuffer bytes) {
        CRC32C c = new CRC32C();
        c.update(bytes.duplicate());
        return (int) c.getValue();
    }

    /**
     * Tells the format of {@code journal} by its first bytes.
     *
     * @throws IOException if it starts with {@code magic} but with a corrupt header or another
     *                     version: such a file is never read by guesswork
     */
    static Format detect(FileChannel journal, Path file, long magic, int version) throws IOException {
        return detect(journal, file, magic, version, version);
    }

    /**
     * As {@link #detect(FileChannel, Path, long, int)}, taking any version from {@code oldest} to
     * {@code version} as current (a format whose records a newer reader still understands).
     */
    static Format detect(FileChannel journal, Path file, long magic, int oldest, int version) throws IOException {
        long size = journal.size();
        if (size == 0) {
            return Format.EMPTY;
        }
        ByteBuffer h = ByteBuffer.allocate((int) Math.min(size, HEADER));
        readFully(journal, h, 0);
        byte[] m = ByteBuffer.allocate(8).putLong(magic).array();
        int compared = Math.min(h.limit(), 8);
        if (!ByteBuffer.wrap(h.array(), 0, compared).equals(ByteBuffer.wrap(m, 0, compared))) {
            return Format.OLD;
        }
        if (size < HEADER) {
            return Format.EMPTY; // a header torn at creation: nothing was ever appended after it
        }
        int v = h.getInt(8);
        if (h.getInt(12) != crc(h.array(), 0, 12)) {
            throw new IOException(file + ": journal header is corrupt; refusing to guess its format");
        }
        if (v < oldest || v > version) {
            throw new IOException(file + ": journal format version " + v + " is not " + version
                    + " (written by a newer agent?); refusing to read it");
        }
        return Format.CURRENT;
    }

    static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
        dst.flip();
    }

    /** Writes all of {@code src} at {@code position}. */
    static void writeFully(FileChannel ch, ByteBuffer src, long position) throws IOException {
        long pos = position;
        while (src.hasRemaining()) {
            pos += ch.write(src, pos);
        }
    }

    /**
     * After a failed append at {@code end}: cuts off what it may have written, so that the file ends
     * with its last good record again. Best effort: the next append overwrites those bytes anyway.
     */
    static void cutAfterFailure(FileChannel ch, long end, IOException failure) {
        try {
            if (ch.size() > end) {
                ch.truncate(end);
            }
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    /**
     * Replay stopped at a bad record: logs which, keeps the bytes from there on in
     * {@code <file>.bad-<offset>} for a post-mortem (best effort; the newest {@value #BAD_KEPT} such
     * files of a journal are kept, older ones deleted) and cuts the journal there.
     */
    static void stopAt(FileChannel journal, Path file, long record, long offset, String why, long end)
            throws IOException {
        long dropped = journal.size() - offset;
        log.warn("{}: replay stopped at record {} (byte {}), {}; keeping the {} records before it and "
                + "dropping the {} bytes from there on", file, record, offset, why, record, dropped);
        Path keep = file.resolveSibling(file.getFileName() + ".bad-" + offset);
        try (FileChannel out = PrivateFiles.open(keep, CREATE, WRITE, TRUNCATE_EXISTING)) {
            journal.transferTo(offset, dropped, out);
        } catch (IOException e) {
            log.warn("{}: could not keep the dropped bytes in {}: {}", file, keep, e.toString());
        }
        journal.truncate(end);
        deleteOldBadFiles(file, keep);
    }

    /** Deletes all but the newest {@value #BAD_KEPT} {@code <file>.bad-*} files, {@code newest} among those kept. */
    private static void deleteOldBadFiles(Path file, Path newest) {
        String prefix = file.getFileName() + ".bad-";
        try (Stream<Path> siblings = Files.list(file.getParent())) {
            List<Path> old = siblings.filter(p -> p.getFileName().toString().startsWith(prefix) && !p.equals(newest))
                    .sorted(Comparator.comparing(Journals::modified).reversed())
                    .skip(BAD_KEPT - 1)
                    .toList();
            for (Path p : old) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            log.debug("{}: could not delete old {}* files: {}", file, prefix, e.toString());
        }
    }

    private static FileTime modified(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    /**
     * Replaces {@code file} by {@code contents} (a whole journal, header first) atomically and
     * durably, keeping the old file as {@code <file>.v1} (a hard link, so that there is never a
     * moment without a journal).
     */
    static void replaceMigrated(Path file, ByteBuffer contents, FileOpener files) throws IOException {
        Path next = file.resolveSibling(file.getFileName() + ".new");
        Path old = file.resolveSibling(file.getFileName() + ".v1");
        try (FileChannel out = files.open(next, CREATE, WRITE, TRUNCATE_EXISTING)) {
            writeFully(out, contents, 0);
            out.force(true);
        }
        Files.deleteIfExists(old);
        Files.createLink(old, file);
        Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        forceDirectory(file.getParent());
        log.info("{}: migrated to journal format with checksums; the old file is kept as {}", file, old);
    }

    static void forceDirectory(Path dir) throws IOException {
        try (FileChannel d = FileChannel.open(dir, READ)) {
            d.force(true);
        }
    }
}
