package io.bootswarm.seed.serving;

import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.seed.catalog.ServableImage;
import io.micrometer.core.instrument.Counter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.InstantSource;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the seed knows of the pieces of one image file: which it has checked against the manifest's
 * SHA-256 since the file was last seen to change ({@code verified}), which it found rotten (their
 * bytes do not match, or cannot be read), and so which it offers to peers ({@link #available()}: all
 * but the rotten ones).
 *
 * <p>A piece is checked the first time it is served ({@link #verify}): the whole piece is read and
 * hashed once, by one caller while any others asking for it wait, and from then on serving it costs
 * two bit tests. A rotten piece is logged at ERROR once, counted ({@code bootswarm.seed.pieces.rotten})
 * and never served. The file's size, modification time and identity are compared with those its
 * pieces were checked against at most every {@code fileCheckInterval} ({@link #fileChanged()}); a
 * changed file (an operator restored it, say) starts over with nothing verified and nothing rotten.
 *
 * <p>A read stopped by a {@link ClosedChannelException} (the image is being closed, the reading
 * thread was interrupted) is no verdict: the piece stays unverified.
 */
final class ImageIntegrity {

    private static final Logger log = LoggerFactory.getLogger(ImageIntegrity.class);

    /** Reads {@code length} bytes of the image file at {@code position} into {@code dst[0, length)}. */
    @FunctionalInterface
    interface PieceReader {
        void read(long position, byte[] dst, int length) throws IOException;
    }

    /** A piece that is rotten and is not served; its message names the image, the piece and the file offset. */
    static final class RottenPieceException extends IOException {
        RottenPieceException(String message) {
            super(message);
        }
    }

    /** What identifies one version of the file: a change of any of these verifies every piece again. */
    private record FileStamp(long size, FileTime modified, Object key) {
        static FileStamp of(Path file) throws IOException {
            BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
            return new FileStamp(a.size(), a.lastModifiedTime(), a.fileKey());
        }
    }

    /** The verdicts on one version of the file. */
    private static final class State {
        final FileStamp stamp;
        final PieceSet verified;
        final PieceSet rotten;
        volatile PieceSet available;

        State(FileStamp stamp, int pieces) {
            this.stamp = stamp;
            this.verified = new PieceSet(pieces);
            this.rotten = new PieceSet(pieces);
            this.available = PieceSet.full(pieces);
        }
    }

    private final ServableImage image;
    private final byte[] hashes;
    private final InstantSource clock;
    private final long fileCheckMillis;
    private final Counter rottenCounter;
    private final Counter verifiedCounter;
    private final Map<Integer, CompletableFuture<Void>> checking = new ConcurrentHashMap<>();
    private volatile State state;
    private volatile long nextFileCheck;

    /**
     * @param hashes          the manifest's SHA-256 of every piece, 32 bytes each, in piece order
     * @param rottenCounter   counts pieces found rotten
     * @param verifiedCounter counts pieces checked and found sound
     * @throws IllegalArgumentException if {@code hashes} does not hold one hash per piece
     */
    ImageIntegrity(ServableImage image, byte[] hashes, InstantSource clock, Duration fileCheckInterval,
                   Counter rottenCounter, Counter verifiedCounter) {
        if (hashes.length != (long) image.pieceCount() * PieceHash.BYTES) {
            throw new IllegalArgumentException("image " + image.id() + " has " + image.pieceCount() + " pieces but "
                    + hashes.length + " bytes of SHA-256 hashes");
        }
        this.image = image;
        this.hashes = hashes.clone();
        this.clock = clock;
        this.fileCheckMillis = fileCheckInterval.toMillis();
        this.rottenCounter = rottenCounter;
        this.verifiedCounter = verifiedCounter;
        FileStamp stamp;
        try {
            stamp = FileStamp.of(image.file());
        } catch (IOException e) {
            stamp = null; // a missing file cannot be served anyway; the first check that finds it starts over
        }
        this.state = new State(stamp, image.pieceCount());
        this.nextFileCheck = clock.millis() + fileCheckMillis;
    }

    ServableImage image() {
        return image;
    }

    /** The pieces offered to peers: all but the rotten ones. A live set, replaced when a piece rots. */
    PieceSet available() {
        return state.available;
    }

    /** Pieces found rotten in the current version of the file. */
    int rottenPieces() {
        return state.rotten.cardinality();
    }

    /** Pieces checked and found sound in the current version of the file. */
    int verifiedPieces() {
        return state.verified.cardinality();
    }

    /**
     * Compares the file with the version its pieces were checked against, unless that was done less
     * than {@code fileCheckInterval} ago; if it changed, forgets every verdict.
     *
     * @return true if the file changed (another file may now be at its path: reopen it)
     */
    boolean fileChanged() {
        long now = clock.millis();
        if (now < nextFileCheck) {
            return false;
        }
        synchronized (this) {
            if (now < nextFileCheck) {
                return false;
            }
            nextFileCheck = now + fileCheckMillis;
            FileStamp current;
            try {
                current = FileStamp.of(image.file());
            } catch (IOException e) {
                return false; // gone or unreadable: reads of pieces not verified yet will say so
            }
            State old = state;
            if (current.equals(old.stamp)) {
                return false;
            }
            if (old.stamp != null) {
                log.info("image {} '{}': its file changed (size {} -> {}, modified {} -> {}); {} pieces verified and "
                                + "{} rotten before are checked again before they are served", image.id(), image.name(),
                        old.stamp.size(), current.size(), old.stamp.modified(), current.modified(),
                        old.verified.cardinality(), old.rotten.cardinality());
            }
            state = new State(current, image.pieceCount());
            return true;
        }
    }

    /**
     * Makes sure {@code piece} is sound before it is served: returns at once if it was verified, else
     * reads and hashes it (or waits for the caller already doing so).
     *
     * @throws RottenPieceException if the piece is rotten
     * @throws IOException          if reading was stopped before a verdict ({@link ClosedChannelException})
     */
    void verify(int piece, PieceReader reader) throws IOException {
        State s = state;
        while (true) {
            if (s.rotten.contains(piece)) {
                throw rotten(piece);
            }
            if (s.verified.contains(piece)) {
                return;
            }
            CompletableFuture<Void> mine = new CompletableFuture<>();
            CompletableFuture<Void> other = checking.putIfAbsent(piece, mine);
            if (other != null) {
                other.join();
                continue;
            }
            try {
                check(s, piece, reader);
            } finally {
                checking.remove(piece, mine);
                mine.complete(null);
            }
        }
    }

    /**
     * Reads and hashes {@code piece} again even if it was verified (the background scrub); a piece
     * already rotten is not read.
     *
     * @return true if the piece is sound
     * @throws IOException if reading was stopped before a verdict ({@link ClosedChannelException})
     */
    boolean scrub(int piece, PieceReader reader) throws IOException {
        State s = state;
        if (s.rotten.contains(piece)) {
            return false;
        }
        check(s, piece, reader);
        return !s.rotten.contains(piece);
    }

    private void check(State s, int piece, PieceReader reader) throws IOException {
        int length = pieceLength(piece);
        byte[] bytes = new byte[length];
        try {
            reader.read(offset(piece), bytes, length);
        } catch (ClosedChannelException e) {
            throw e;
        } catch (IOException e) {
            markRotten(s, piece, "it cannot be read: " + e);
            return;
        }
        byte[] digest = sha256().digest(bytes);
        if (Arrays.equals(digest, 0, PieceHash.BYTES, hashes, piece * PieceHash.BYTES,
                (piece + 1) * PieceHash.BYTES)) {
            if (s.verified.add(piece)) {
                verifiedCounter.increment();
            }
        } else {
            markRotten(s, piece, "its SHA-256 is " + PieceHash.of(digest, 0) + ", the manifest's "
                    + PieceHash.of(hashes, piece * PieceHash.BYTES));
        }
    }

    private void markRotten(State s, int piece, String why) {
        synchronized (s) {
            if (!s.rotten.add(piece)) {
                return;
            }
            PieceSet next = new PieceSet(image.pieceCount());
            s.available.forEach(i -> {
                if (i != piece) {
                    next.add(i);
                }
            });
            s.available = next;
        }
        rottenCounter.increment();
        log.error("image {} '{}': piece {} (file {}, offset {}, {} bytes) is rotten, {}; it is no longer offered to "
                        + "peers", image.id(), image.name(), piece, image.file(), offset(piece), pieceLength(piece),
                why);
    }

    private RottenPieceException rotten(int piece) {
        return new RottenPieceException("image " + image.id() + " '" + image.name() + "': piece " + piece
                + " (file offset " + offset(piece) + ") is rotten and not served");
    }

    private long offset(int piece) {
        return (long) piece * image.pieceSize();
    }

    private int pieceLength(int piece) {
        return (int) Math.min(image.pieceSize(), image.size() - offset(piece));
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
