package io.bootswarm.fleet;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/** Real NBD clients and image helpers for the end-to-end tests. */
final class Tools {

    private Tools() {
    }

    record Result(int exit, String output) {
    }

    /**
     * Runs a command to completion. A missing tool fails the test with what to install (CI
     * installs qemu-utils and libnbd-bin).
     */
    static Result run(Duration timeout, String... command) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            throw new AssertionError(command[0] + " is not installed: apt-get install -y qemu-utils libnbd-bin", e);
        }
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
    }

    /** Runs a command that must succeed; returns its output. */
    static String ok(Duration timeout, String... command) throws IOException, InterruptedException {
        Result r = run(timeout, command);
        if (r.exit() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exit() + ":\n" + r.output());
        }
        return r.output();
    }

    /**
     * Writes a test image of {@code size} bytes: random data with all-zero stretches of varied
     * length (about a third of the image), as real disk images have.
     */
    static Path image(Path file, long size, long seed) throws IOException {
        Random r = new Random(seed);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            long left = size;
            int i = 0;
            while (left > 0) {
                int n = (int) Math.min(chunk.length, left);
                r.nextBytes(chunk);
                if (i % 3 == 1) {
                    Arrays.fill(chunk, 0, n, (byte) 0);
                } else if (i % 3 == 2) {
                    Arrays.fill(chunk, 100_000, 700_000, (byte) 0);
                }
                out.write(chunk, 0, n);
                left -= n;
                i++;
            }
        }
        return file;
    }

    static String sha256(Path file) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            try (var in = Files.newInputStream(file)) {
                byte[] b = new byte[1 << 20];
                for (int n; (n = in.read(b)) > 0; ) {
                    d.update(b, 0, n);
                }
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A generated image with what a test checks its copies against. */
    record Image(Path file, long size, int pieces, int zeroPieces, String sha256) {
    }

    /**
     * Writes an image of {@code pieces} pieces of {@code pieceSize} bytes, every one distinct random data
     * (incompressible, and no two alike, so that none is shared or skipped) except every
     * {@code zeroEvery}-th, which is all zeros.
     */
    static Image distinctPieces(Path file, int pieces, int pieceSize, int zeroEvery, long seed) throws IOException {
        SplittableRandom r = new SplittableRandom(seed);
        byte[] piece = new byte[pieceSize];
        byte[] zeros = new byte[pieceSize];
        MessageDigest d = sha256();
        int zero = 0;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            for (int i = 0; i < pieces; i++) {
                byte[] b = zeros;
                if (i % zeroEvery == zeroEvery - 1) {
                    zero++;
                } else {
                    r.nextBytes(piece);
                    b = piece;
                }
                out.write(b);
                d.update(b);
            }
        }
        return new Image(file, (long) pieces * pieceSize, pieces, zero, HexFormat.of().formatHex(d.digest()));
    }

    /** What a reader wrote to its standard output: its exit code, length and SHA-256, and its other output. */
    record Streamed(int exit, long bytes, String sha256, String log) {
    }

    /**
     * Runs a command that writes an image to its standard output (e.g. {@code nbdcopy URI -}) and
     * digests the stream as it comes, without keeping it; standard error goes to {@code log}.
     */
    static Streamed digestStdout(Duration timeout, Path log, String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectError(log.toFile()).start();
        MessageDigest d = sha256();
        long n = 0;
        try (var in = p.getInputStream()) {
            byte[] b = new byte[1 << 20];
            for (int k; (k = in.read(b)) > 0; ) {
                d.update(b, 0, k);
                n += k;
            }
        }
        if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", command) + " did not finish within " + timeout);
        }
        return new Streamed(p.exitValue(), n, HexFormat.of().formatHex(d.digest()), Files.readString(log));
    }

    /** Fails unless the file system of {@code dir} has {@code bytes} free: a full disk is not what a test is about. */
    static void requireSpace(Path dir, long bytes) throws IOException {
        long free = Files.getFileStore(dir).getUsableSpace();
        if (free < bytes) {
            throw new AssertionError("this test needs " + (bytes >> 30) + " GiB free under " + dir + ", there are "
                    + (free >> 30) + " GiB");
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static List<String> qemuIo(String uri, String... commands) {
        List<String> cmd = new java.util.ArrayList<>(List.of("qemu-io", "-f", "raw"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(uri);
        return cmd;
    }
}
