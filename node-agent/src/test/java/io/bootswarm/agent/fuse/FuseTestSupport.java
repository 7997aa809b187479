package io.bootswarm.agent.fuse;

import io.bootswarm.agent.disk.PieceSource;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.fail;

/** Images, virtual disks over an in-memory swarm, and the command-line tools the FUSE tests run. */
final class FuseTestSupport {

    record Result(int exitCode, String output) {
        boolean ok() {
            return exitCode == 0;
        }
    }

    private FuseTestSupport() {
    }

    /** Fails (never skips) the calling test when this host cannot mount FUSE, saying what to install. */
    static void requireFuse() {
        FuseMount.unavailableReason(FuseProperties.at(Path.of("/tmp")))
                .ifPresent(reason -> fail("FUSE is not usable here: " + reason
                        + ". The FUSE integration tests need /dev/fuse and apt-get install -y fuse3 (CI installs it)"));
        for (String tool : List.of("fusermount3", "cmp", "dd", "stat", "truncate", "sync")) {
            if (find(tool) == null) {
                fail(tool + " is not installed; the FUSE integration tests need it: apt-get install -y fuse3 coreutils diffutils");
            }
        }
    }

    static Path find(String tool) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path + ":/usr/bin:/bin:/usr/sbin:/sbin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, tool);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Runs a command (stdout and stderr together), killing it after {@code timeoutSeconds}. */
    static Result run(long timeoutSeconds, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        p.getOutputStream().close();
        StringBuilder out = new StringBuilder();
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // killed
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join(5000);
            throw new IllegalStateException(String.join(" ", command) + " did not finish within " + timeoutSeconds
                    + " s; output so far: " + out);
        }
        reader.join(5000);
        return new Result(p.exitValue(), out.toString());
    }

    static Result run(String... command) throws IOException, InterruptedException {
        return run(120, command);
    }

    /** Random bytes of {@code size}; every third piece is zero (never fetched), as real images have. */
    static byte[] image(int size, int pieceSize, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        for (int p = 0; (long) p * pieceSize < size; p += 3) {
            java.util.Arrays.fill(b, p * pieceSize, Math.min(size, (p + 1) * pieceSize), (byte) 0);
        }
        return b;
    }

    static Manifest manifest(InputStream image, int pieceSize) throws IOException {
        return new PieceSplitter(pieceSize, Long.MAX_VALUE).split(image, null, null)
                .manifest(UUID.randomUUID(), "fuse-test-image");
    }

    static Manifest manifest(Path image, int pieceSize) throws IOException {
        try (InputStream in = new BufferedInputStream(Files.newInputStream(image), 1 << 20)) {
            return manifest(in, pieceSize);
        }
    }

    /**
     * The swarm, as the disk sees it: serves pieces from the image file into the store, counting
     * them; a piece can be held back ({@link #hold}) until {@link #release}d.
     */
    static final class ImageSource implements PieceSource {
        final Path image;
        final Manifest manifest;
        final PieceStore store;
        final List<Integer> fetched = new CopyOnWriteArrayList<>();
        final Map<Integer, CountDownLatch> held = new ConcurrentHashMap<>();
        final Map<Integer, CountDownLatch> waiting = new ConcurrentHashMap<>();

        ImageSource(Path image, Manifest manifest, PieceStore store) {
            this.image = image;
            this.manifest = manifest;
            this.store = store;
        }

        /** Requests for {@code piece} wait until {@link #release}; returns a latch opened when one arrives. */
        CountDownLatch hold(int piece) {
            held.put(piece, new CountDownLatch(1));
            CountDownLatch arrived = new CountDownLatch(1);
            waiting.put(piece, arrived);
            return arrived;
        }

        void release(int piece) {
            CountDownLatch l = held.remove(piece);
            if (l != null) {
                l.countDown();
            }
        }

        @Override
        public void require(int piece) throws IOException {
            CountDownLatch arrived = waiting.get(piece);
            if (arrived != null) {
                arrived.countDown();
            }
            CountDownLatch gate = held.get(piece);
            if (gate != null) {
                try {
                    if (!gate.await(60, TimeUnit.SECONDS)) {
                        throw new IOException("piece " + piece + " held for too long");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", e);
                }
            }
            synchronized (this) {
                if (store.contains(manifest.hash(piece))) {
                    return;
                }
                fetched.add(piece);
                int len = manifest.pieceLength(piece);
                byte[] data = new byte[len];
                try (FileChannel ch = FileChannel.open(image)) {
                    ByteBuffer b = ByteBuffer.wrap(data);
                    while (b.hasRemaining() && ch.read(b, manifest.pieceOffset(piece) + b.position()) >= 0) {
                        // fill
                    }
                }
                store.put(VerifiedPiece.verify(manifest.hash(piece), data, len).orElseThrow());
            }
        }

        /** Puts every non-zero piece in the store (a disk that has fully arrived). */
        void fetchAll() throws IOException {
            for (int i = 0; i < manifest.pieceCount(); i++) {
                if (!manifest.isZero(i)) {
                    require(i);
                }
            }
        }
    }

    static VirtualDisk disk(ImageSource source, Path overlayDirectory) throws IOException {
        return VirtualDisk.open(source.manifest, source.store, source, overlayDirectory, VirtualDisk.AccessListener.NONE);
    }

    /** Lines of {@code ls -1 dir}. */
    static List<String> ls(Path dir) throws IOException, InterruptedException {
        Result r = run("ls", "-1", dir.toString());
        if (!r.ok()) {
            throw new IOException("ls " + dir + ": " + r.output());
        }
        List<String> out = new ArrayList<>();
        for (String line : r.output().split("\n")) {
            if (!line.isBlank()) {
                out.add(line.strip());
            }
        }
        return out;
    }
}
