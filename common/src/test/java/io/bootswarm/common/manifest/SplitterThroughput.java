package io.bootswarm.common.manifest;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Measures {@link PieceSplitter} throughput on a 1 GiB stream, and what its parts cost
 * (SHA-256, SHA-1, zero check) and what a two-thread split of the hashing would give.
 * Not a test: run it by hand (from /work/main, then from common/):
 *
 * <pre>
 * ./mvnw -q -pl common test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * cd common &amp;&amp; /usr/lib/jvm/temurin-25-jdk-amd64/bin/java \
 *     -cp target/classes:target/test-classes:$(cat target/cp.txt) \
 *     io.bootswarm.common.manifest.SplitterThroughput [zeroPercent] [tmpfsFile, e.g. /dev/shm/x.img]
 * </pre>
 */
public final class SplitterThroughput {

    private static final long GIB = 1L << 30;
    private static final int PIECE = Manifest.DEFAULT_PIECE_SIZE;

    /** 1 GiB of pieces drawn from a 64 MiB random pool; {@code zeroPercent} of the pieces are zero. */
    static final class Image extends InputStream {
        private static final byte[] POOL = new byte[64 << 20];

        static {
            new Random(1).nextBytes(POOL);
        }

        private final long size;
        private final int zeroPercent;
        private long pos;

        Image(long size, int zeroPercent) {
            this.size = size;
            this.zeroPercent = zeroPercent;
        }

        private boolean zeroPiece(long piece) {
            return Math.floorMod(piece * 0x9E3779B97F4A7C15L >>> 32, 100) < zeroPercent;
        }

        @Override
        public int read() {
            byte[] b = new byte[1];
            return read(b, 0, 1) < 0 ? -1 : b[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (pos >= size) {
                return -1;
            }
            long piece = pos / PIECE;
            int inPiece = (int) (pos % PIECE);
            int n = (int) Math.min(Math.min(len, PIECE - inPiece), size - pos);
            if (zeroPiece(piece)) {
                java.util.Arrays.fill(b, off, off + n, (byte) 0);
            } else {
                int p = (int) (pos % POOL.length);
                n = Math.min(n, POOL.length - p);
                System.arraycopy(POOL, p, b, off, n);
            }
            pos += n;
            return n;
        }
    }

    public static void main(String[] args) throws Exception {
        int zeroPercent = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        Path tmpfs = args.length > 1 ? Path.of(args[1]) : null;
        System.out.printf("JDK %s, %d cores, piece %d KiB, %d%% zero pieces%n", Runtime.version(),
                Runtime.getRuntime().availableProcessors(), PIECE / 1024, zeroPercent);

        for (int round = 0; round < 3; round++) {
            System.out.printf("-- round %d%n", round + 1);
            time("PieceSplitter.split (in-memory)", () -> {
                new PieceSplitter(PIECE, Long.MAX_VALUE).split(new Image(GIB, zeroPercent), null, null);
            });
            time("read only (generator cost)", () -> drain(new Image(GIB, zeroPercent)));
            time("SHA-256 only", () -> hashOnly(new Image(GIB, zeroPercent), "SHA-256"));
            time("SHA-1 only", () -> hashOnly(new Image(GIB, zeroPercent), "SHA-1"));
            time("zero check only", () -> zeroOnly(new Image(GIB, zeroPercent)));
            time("two threads: SHA-256 | SHA-1+zero", () -> twoThreads(new Image(GIB, zeroPercent)));
        }
        if (tmpfs != null) {
            try (var out = Files.newOutputStream(tmpfs)) {
                new Image(GIB, zeroPercent).transferTo(out);
            }
            for (int round = 0; round < 3; round++) {
                time("PieceSplitter.split (tmpfs file " + tmpfs + ")", () -> {
                    try (InputStream in = Files.newInputStream(tmpfs)) {
                        new PieceSplitter(PIECE, Long.MAX_VALUE).split(in, null, null);
                    }
                });
            }
            Files.delete(tmpfs);
        }
    }

    private interface Body {
        void run() throws Exception;
    }

    private static void time(String what, Body body) throws Exception {
        long t0 = System.nanoTime();
        body.run();
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-45s %7.0f MB/s  (%.2f s per GiB)%n", what, GIB / 1e6 / s, s);
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[PIECE];
        while (in.readNBytes(buf, 0, PIECE) > 0) {
            // nothing
        }
    }

    private static void hashOnly(InputStream in, String algorithm) throws Exception {
        MessageDigest md = MessageDigest.getInstance(algorithm);
        byte[] buf = new byte[PIECE];
        int n;
        while ((n = in.readNBytes(buf, 0, PIECE)) > 0) {
            md.update(buf, 0, n);
            md.digest();
        }
    }

    private static void zeroOnly(InputStream in) throws Exception {
        byte[] buf = new byte[PIECE];
        int n;
        int zeros = 0;
        while ((n = in.readNBytes(buf, 0, PIECE)) > 0) {
            if (PieceSplitter.isZero(buf, n)) {
                zeros++;
            }
        }
        if (zeros < 0) {
            throw new AssertionError();
        }
    }

    /**
     * The obvious two-core pipeline: this thread reads a batch of pieces and SHA-256s it while a
     * second thread SHA-1s and zero-checks the same batch; double-buffered.
     */
    private static void twoThreads(InputStream in) throws Exception {
        int batch = 16;
        byte[][] a = new byte[batch][PIECE];
        byte[][] b = new byte[batch][PIECE];
        int[] lenA = new int[batch];
        int[] lenB = new int[batch];
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        try (ExecutorService helper = Executors.newSingleThreadExecutor()) {
            Future<?> pending = null;
            byte[][] cur = a;
            int[] len = lenA;
            boolean eof = false;
            while (!eof) {
                int filled = 0;
                while (filled < batch) {
                    int n = in.readNBytes(cur[filled], 0, PIECE);
                    if (n == 0) {
                        eof = true;
                        break;
                    }
                    len[filled++] = n;
                    if (n < PIECE) {
                        eof = true;
                        break;
                    }
                }
                if (pending != null) {
                    pending.get();
                }
                byte[][] pieces = cur;
                int[] lengths = len;
                int count = filled;
                pending = helper.submit(() -> {
                    for (int i = 0; i < count; i++) {
                        sha1.update(pieces[i], 0, lengths[i]);
                        sha1.digest();
                        PieceSplitter.isZero(pieces[i], lengths[i]);
                    }
                });
                for (int i = 0; i < count; i++) {
                    sha256.update(pieces[i], 0, lengths[i]);
                    sha256.digest();
                }
                pending.get();
                cur = cur == a ? b : a;
                len = len == lenA ? lenB : lenA;
            }
        }
    }
}
