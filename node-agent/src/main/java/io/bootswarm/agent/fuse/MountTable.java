package io.bootswarm.agent.fuse;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** This process's view of the mounts ({@code /proc/self/mountinfo}), and lazy unmounting of stale FUSE mounts. */
final class MountTable {

    private static final Logger log = LoggerFactory.getLogger(MountTable.class);
    private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** A mount: where, and its file system type ({@code fuse.bootswarm} for ours). */
    record Entry(Path mountPoint, String type) {
        boolean isFuse() {
            return type.equals("fuse") || type.startsWith("fuse.");
        }
    }

    private MountTable() {
    }

    static List<Entry> read() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8)) {
            Entry e = parse(line);
            if (e != null) {
                out.add(e);
            }
        }
        return out;
    }

    /**
     * One line of {@code mountinfo}: {@code id parent major:minor root mount-point options [optional...] -
     * type source super-options}; null if malformed.
     */
    static Entry parse(String line) {
        String[] f = line.split(" ");
        int dash = -1;
        for (int i = 6; i < f.length; i++) {
            if (f[i].equals("-")) {
                dash = i;
                break;
            }
        }
        if (f.length < 5 || dash < 0 || dash + 1 >= f.length) {
            return null;
        }
        return new Entry(Path.of(unescape(f[4])), unescape(f[dash + 1]));
    }

    /** Undoes the kernel's octal escapes ({@code \040} for a space, also tab, newline, backslash). */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '\\' && i + 3 < b.length && isOctal(b[i + 1]) && isOctal(b[i + 2]) && isOctal(b[i + 3])) {
                out.write(((b[i + 1] - '0') << 6) | ((b[i + 2] - '0') << 3) | (b[i + 3] - '0'));
                i += 3;
            } else {
                out.write(b[i]);
            }
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static boolean isOctal(byte c) {
        return c >= '0' && c <= '7';
    }

    /**
     * The path as the mount table names it: absolute, normalized, symbolic links of its parents
     * resolved (not of the path itself, which may be a dead mount).
     */
    static Path canonical(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null) {
            return abs;
        }
        try {
            return parent.toRealPath().resolve(abs.getFileName());
        } catch (IOException e) {
            return abs;
        }
    }

    /** The mount at exactly {@code path} (the topmost when stacked). */
    static Optional<Entry> at(Path path) throws IOException {
        Path p = canonical(path);
        Entry found = null;
        for (Entry e : read()) {
            if (e.mountPoint().equals(p)) {
                found = e;
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Makes {@code path} free to mount on: a FUSE mount there whose server is gone (as left by a
     * killed agent: every access fails with "Transport endpoint is not connected") is detached.
     *
     * @throws IOException if a live file system, or anything that is not FUSE, is mounted there
     */
    static void clearStale(Path path) throws IOException {
        Optional<Entry> mounted = at(path);
        if (mounted.isEmpty()) {
            return;
        }
        Entry e = mounted.get();
        if (!e.isFuse()) {
            throw new IOException(path + " is already a mount point (" + e.type() + "); choose another "
                    + "bootswarm.agent.fuse.mount-point");
        }
        try {
            Files.readAttributes(path, BasicFileAttributes.class);
            throw new IOException(path + " is already mounted by a live FUSE file system (" + e.type()
                    + "), another agent's? Unmount it (fusermount3 -u " + path + ") or choose another "
                    + "bootswarm.agent.fuse.mount-point");
        } catch (FileSystemException stale) {
            log.info("detaching the stale FUSE mount at {} ({}: {})", path, e.type(), stale.getReason());
            if (!unmountLazily(path)) {
                throw new IOException("could not detach the stale FUSE mount at " + path
                        + "; run fusermount3 -u -z " + path);
            }
        }
    }

    /** {@code fusermount3 -u -z}, else {@code umount -l}; true if nothing is mounted there afterwards. */
    static boolean unmountLazily(Path path) throws IOException {
        String p = canonical(path).toString();
        for (List<String> command : List.of(List.of("fusermount3", "-u", "-z", p), List.of("umount", "-l", p))) {
            if (at(path).isEmpty()) {
                return true;
            }
            try {
                Process proc = new ProcessBuilder(command).redirectErrorStream(true).start();
                proc.getOutputStream().close();
                if (!proc.waitFor(10, TimeUnit.SECONDS)) {
                    proc.destroyForcibly();
                    log.warn("{} did not finish in 10 s", String.join(" ", command));
                    continue;
                }
                String output = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                if (proc.exitValue() != 0) {
                    log.warn("{} failed ({}): {}", String.join(" ", command), proc.exitValue(), output);
                }
            } catch (IOException e) {
                log.debug("{}: {}", command.getFirst(), e.toString()); // not installed
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while unmounting " + p, e);
            }
        }
        return at(path).isEmpty();
    }
}
