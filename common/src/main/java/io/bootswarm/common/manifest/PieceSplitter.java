package io.bootswarm.common.manifest;

import io.bootswarm.common.bencode.Bencode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.LongConsumer;

/**
 * Splits an image stream into fixed-size pieces in one pass: SHA-256 of each piece (its name),
 * SHA-1 of each piece (for the BitTorrent v1 info dictionary that yields the swarm id), and which
 * pieces are all zero. Optionally copies the bytes to a sink as it goes, so an upload is stored
 * and hashed without being held in memory.
 */
public final class PieceSplitter {

    private static final int MAX_PIECE_SIZE = 64 * 1024 * 1024;

    private final int pieceSize;
    private final long maxBytes;

    /**
     * @param pieceSize bytes per piece
     * @param maxBytes  the largest image accepted; more raises {@link ImageTooLargeException}
     */
    public PieceSplitter(int pieceSize, long maxBytes) {
        if (pieceSize <= 0 || pieceSize > MAX_PIECE_SIZE || pieceSize % 16384 != 0) {
            throw new IllegalArgumentException("piece size must be a positive multiple of 16 KiB up to 64 MiB");
        }
        this.pieceSize = pieceSize;
        this.maxBytes = maxBytes;
    }

    /**
     * Reads {@code in} to its end.
     *
     * @param sink     receives every byte read, or null
     * @param progress told the running byte count after each piece, or null
     */
    public Split split(InputStream in, WritableByteChannel sink, LongConsumer progress) throws IOException {
        MessageDigest sha256 = digest("SHA-256");
        MessageDigest sha1 = digest("SHA-1");
        byte[] buf = new byte[pieceSize];
        List<PieceHash> hashes = new ArrayList<>();
        List<Integer> zeros = new ArrayList<>();
        ByteArrayOutputStream sha1s = new ByteArrayOutputStream();
        long total = 0;
        PieceHash zeroSha256 = null;
        byte[] zeroSha1 = null;
        while (true) {
            int n = in.readNBytes(buf, 0, pieceSize);
            if (n == 0) {
                break;
            }
            total += n;
            if (total > maxBytes) {
                throw new ImageTooLargeException(maxBytes);
            }
            // The zero check runs at memory speed and stops at the first non-zero byte; hashing
            // is the cost. Real images are mostly zero pieces, whose digests are all the same.
            boolean zero = isZero(buf, n);
            if (zero && n == pieceSize) {
                if (zeroSha256 == null) {
                    sha256.update(buf, 0, n);
                    zeroSha256 = PieceHash.of(sha256.digest(), 0);
                    sha1.update(buf, 0, n);
                    zeroSha1 = sha1.digest();
                }
                hashes.add(zeroSha256);
                sha1s.writeBytes(zeroSha1);
            } else {
                sha256.update(buf, 0, n);
                hashes.add(PieceHash.of(sha256.digest(), 0));
                sha1.update(buf, 0, n);
                sha1s.writeBytes(sha1.digest());
            }
            if (zero) {
                zeros.add(hashes.size() - 1);
            }
            if (sink != null) {
                ByteBuffer b = ByteBuffer.wrap(buf, 0, n);
                while (b.hasRemaining()) {
                    sink.write(b);
                }
            }
            if (progress != null) {
                progress.accept(total);
            }
            if (n < pieceSize) {
                break;
            }
        }
        PieceSet zero = new PieceSet(hashes.size());
        zeros.forEach(zero::add);
        return new Split(total, pieceSize, hashes.toArray(PieceHash[]::new), sha1s.toByteArray(), zero);
    }

    private static final byte[] ZEROS = new byte[MAX_PIECE_SIZE / 64];

    static boolean isZero(byte[] buf, int len) {
        for (int off = 0; off < len; off += ZEROS.length) {
            int n = Math.min(ZEROS.length, len - off);
            if (Arrays.mismatch(buf, off, off + n, ZEROS, 0, n) != -1) {
                return false;
            }
        }
        return true;
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " missing from this JDK", e);
        }
    }

    /**
     * What a split found.
     *
     * @param sha1 SHA-1 of every piece, concatenated (the v1 info dictionary's {@code pieces})
     */
    public record Split(long size, int pieceSize, PieceHash[] sha256, byte[] sha1, PieceSet zero) {

        public int pieceCount() {
            return sha256.length;
        }

        /** The BEP 3 info dictionary of this image under {@code name}. */
        public Map<String, Object> infoDictionary(String name) {
            return TorrentMetainfo.infoDictionary(name, size, pieceSize, sha1);
        }

        /** The swarm id: SHA-1 of the bencoded info dictionary (the v1 info hash). */
        public SwarmId swarmId(String name) {
            return SwarmId.of(digest("SHA-1").digest(Bencode.encode(infoDictionary(name))));
        }

        public Manifest manifest(UUID imageId, String name) {
            Objects.requireNonNull(name);
            return new Manifest(imageId, name, size, pieceSize, swarmId(name), sha256, zero);
        }
    }

    /** The stream was longer than the limit given to the splitter. */
    public static final class ImageTooLargeException extends IOException {
        private final long limit;

        public ImageTooLargeException(long limit) {
            super("image is larger than the limit of " + limit + " bytes");
            this.limit = limit;
        }

        public long limit() {
            return limit;
        }
    }
}
