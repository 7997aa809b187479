package io.bootswarm.seed;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

/**
 * Test images: random bytes with zero regions, and what a manifest of them must say, computed here
 * independently of the production code (plain MessageDigest, hand-written bencoding).
 */
public final class TestImages {

    private TestImages() {
    }

    /** A byte range [from, to) to fill with zeros. */
    public record Zeros(long from, long to) {
    }

    /** Writes {@code size} random bytes (from {@code seed}) with the {@code zeros} ranges zeroed. */
    public static Path write(Path file, long size, long seed, Zeros... zeros) throws IOException {
        Random random = new Random(seed);
        byte[] buf = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long pos = 0; pos < size; pos += buf.length) {
                int n = (int) Math.min(buf.length, size - pos);
                random.nextBytes(buf);
                for (Zeros z : zeros) {
                    long from = Math.max(z.from(), pos);
                    long to = Math.min(z.to(), pos + n);
                    if (from < to) {
                        Arrays.fill(buf, (int) (from - pos), (int) (to - pos), (byte) 0);
                    }
                }
                out.write(buf, 0, n);
            }
        }
        return file;
    }

    /** What the pieces of a file are: SHA-256, SHA-1, all-zero. */
    public record Expected(long size, int pieceSize, List<byte[]> sha256, List<byte[]> sha1, boolean[] zero,
                           byte[] wholeSha256) {

        public int pieceCount() {
            return sha256.size();
        }

        public int zeroCount() {
            int n = 0;
            for (boolean z : zero) {
                n += z ? 1 : 0;
            }
            return n;
        }

        public long nonZeroBytes() {
            long n = 0;
            for (int i = 0; i < zero.length; i++) {
                if (!zero[i]) {
                    n += Math.min(pieceSize, size - (long) i * pieceSize);
                }
            }
            return n;
        }

        /** The BitTorrent v1 info hash of this file under {@code name}, bencoded by hand. */
        public String infoHashHex(String name) {
            try {
                var out = new java.io.ByteArrayOutputStream();
                out.writeBytes(("d6:lengthi" + size + "e4:name" + name.length() + ":" + name
                        + "12:piece lengthi" + pieceSize + "e6:pieces" + (20 * sha1.size()) + ":").getBytes());
                sha1.forEach(out::writeBytes);
                out.write('e');
                return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(out.toByteArray()));
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public static Expected expect(Path file, int pieceSize) throws IOException {
        try {
            MessageDigest whole = MessageDigest.getInstance("SHA-256");
            List<byte[]> sha256 = new ArrayList<>();
            List<byte[]> sha1 = new ArrayList<>();
            List<Boolean> zero = new ArrayList<>();
            byte[] buf = new byte[pieceSize];
            long size = 0;
            try (InputStream in = Files.newInputStream(file)) {
                int n;
                while ((n = in.readNBytes(buf, 0, pieceSize)) > 0) {
                    size += n;
                    whole.update(buf, 0, n);
                    MessageDigest d256 = MessageDigest.getInstance("SHA-256");
                    d256.update(buf, 0, n);
                    sha256.add(d256.digest());
                    MessageDigest d1 = MessageDigest.getInstance("SHA-1");
                    d1.update(buf, 0, n);
                    sha1.add(d1.digest());
                    boolean z = true;
                    for (int i = 0; i < n && z; i++) {
                        z = buf[i] == 0;
                    }
                    zero.add(z);
                }
            }
            boolean[] zeros = new boolean[zero.size()];
            for (int i = 0; i < zeros.length; i++) {
                zeros[i] = zero.get(i);
            }
            return new Expected(size, pieceSize, sha256, sha1, zeros, whole.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] sha256(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int n;
            while ((n = in.read(buf)) > 0) {
                d.update(buf, 0, n);
            }
            return d.digest();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
