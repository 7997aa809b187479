package io.bootswarm.agent.fuse;

import io.bootswarm.agent.files.PrivateFiles;
import io.bootswarm.common.time.MonotonicClock;
import io.micrometer.core.instrument.MeterRegistry;
import org.cryptomator.jfuse.api.Fuse;
import org.cryptomator.jfuse.api.FuseBuilder;
import org.cryptomator.jfuse.api.FuseMountFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * The host's disks as files, for hypervisors that open a local image: each disk of a
 * {@link DiskCatalog} is {@code <mount point>/<disk id>/disk.img}, a raw image of the disk's full
 * size from the start. A read waits only for the pieces it covers that are not on this host yet;
 * writes go to the disk's copy-on-write overlay (the same one NBD writes to), {@code fsync} and
 * {@code fdatasync} make them durable as an NBD FLUSH does, and so does the last {@code close} of a
 * descriptor that wrote. The file's size never changes: truncating to another size is
 * {@code EINVAL}, writing at or past the end {@code ENOSPC}; reads past the end return 0 bytes.
 * Disks that appear or go while mounted appear in or vanish from the listing at once.
 *
 * <p>By default the files bypass the kernel's page cache ({@code direct_io}, see
 * {@link FuseProperties#directIo()}): each read or write of the hypervisor reaches the disk (up to
 * 1 MiB per request), which keeps the file coherent with the NBD export of the same disk.
 *
 * <p>Built on cryptomator's jfuse (libfuse3 through the FFM API): the JVM needs
 * {@code --enable-native-access=ALL-UNNAMED} (the agent's executable jar declares it in its
 * manifest) and the host {@code /dev/fuse} and libfuse3 ({@code apt-get install fuse3}).
 *
 * <p>Use: {@code try (FuseMount m = new FuseMount(FuseProperties.at(dir), catalog, meters).start()) {
 * m.pathOf(diskId) ... }}; {@link #close()} unmounts.
 */
public final class FuseMount implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FuseMount.class);

    /** The name of each disk's file in its directory. */
    public static final String FILE_NAME = DiskFileSystem.FILE_NAME;

    private final FuseProperties settings;
    private final DiskCatalog disks;
    private final FuseMetrics metrics = new FuseMetrics();
    private final Path mountPoint;
    private final InstantSource clock;
    private volatile Fuse fuse;
    private DiskFileSystem fileSystem;

    /**
     * A mount of {@code disks} at {@link FuseProperties#mountPoint()} (which must be set); nothing
     * happens until {@link #start()}.
     *
     * @param meters where the {@code bootswarm.fuse.*} meters go; null for none
     */
    public FuseMount(FuseProperties settings, DiskCatalog disks, MeterRegistry meters) {
        this(settings, disks, meters, MonotonicClock.system());
    }

    /**
     * @param meters where the {@code bootswarm.fuse.*} meters go; null for none
     * @param clock  the files' times and the read latencies come from it
     */
    public FuseMount(FuseProperties settings, DiskCatalog disks, MeterRegistry meters, InstantSource clock) {
        if (settings.mountPoint() == null) {
            throw new IllegalArgumentException("no FUSE mount point");
        }
        this.settings = settings;
        this.disks = disks;
        this.clock = clock;
        this.mountPoint = MountTable.canonical(settings.mountPoint());
        if (meters != null) {
            metrics.bindTo(meters);
        }
    }

    /**
     * Why FUSE cannot be mounted on this host with these settings (what to install), or empty if it can.
     */
    public static Optional<String> unavailableReason(FuseProperties settings) {
        if (!System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return Optional.of("the FUSE presentation runs on Linux only, not " + System.getProperty("os.name"));
        }
        if (!Files.exists(Path.of("/dev/fuse"))) {
            return Optional.of("/dev/fuse is missing: load the kernel module (modprobe fuse), or run the container "
                    + "with --device /dev/fuse --cap-add SYS_ADMIN");
        }
        if (findLibrary(settings.libraryPath()).isEmpty()) {
            return Optional.of(settings.libraryPath() != null
                    ? "libfuse3 not found at bootswarm.agent.fuse.library-path=" + settings.libraryPath()
                    : "libfuse3 is not installed: apt-get install fuse3 (or set bootswarm.agent.fuse.library-path)");
        }
        if (!isRoot() && findExecutable("fusermount3").isEmpty()) {
            return Optional.of("fusermount3 is missing (needed to mount without root): apt-get install fuse3");
        }
        return Optional.empty();
    }

    /** The libfuse3 shared object: the configured one, else the first in the usual library directories. */
    static Optional<Path> findLibrary(Path configured) {
        if (configured != null) {
            return Files.isReadable(configured) ? Optional.of(configured) : Optional.empty();
        }
        String arch = System.getProperty("os.arch", "");
        String triple = arch.equals("aarch64") || arch.equals("arm64") ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
        for (String dir : List.of("/usr/lib/" + triple, "/lib/" + triple, "/usr/lib64", "/lib64", "/usr/local/lib",
                "/usr/lib", "/lib")) {
            for (String name : List.of("libfuse3.so.3", "libfuse3.so")) {
                Path p = Path.of(dir, name);
                if (Files.isReadable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    private static Optional<Path> findExecutable(String name) {
        String path = System.getenv("PATH");
        for (String dir : (path == null ? "/usr/bin:/bin" : path + ":/usr/bin:/bin").split(File.pathSeparator)) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    private static boolean isRoot() {
        return processId("uid") == 0;
    }

    /** The agent process's uid or gid (the owner of {@code /proc/self}). */
    private static int processId(String attribute) {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:" + attribute);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * Mounts (once; later calls do nothing): detaches a stale FUSE mount left at the mount point by a
     * killed agent, creates the directory, mounts and returns when the file system answers.
     *
     * @throws IOException if FUSE is unavailable (the message says what to install), the mount point
     *                     is taken by a live mount, or mounting fails
     */
    public synchronized FuseMount start() throws IOException {
        if (fuse != null) {
            return this;
        }
        Optional<String> unavailable = unavailableReason(settings);
        if (unavailable.isPresent()) {
            throw new IOException("cannot mount the FUSE file system at " + mountPoint + ": " + unavailable.get());
        }
        MountTable.clearStale(mountPoint);
        PrivateFiles.createDirectories(mountPoint);
        FuseBuilder builder;
        try {
            builder = Fuse.builder();
        } catch (UnsupportedOperationException e) {
            throw new IOException("jfuse has no implementation for " + System.getProperty("os.name") + " "
                    + System.getProperty("os.arch"), e);
        }
        builder.setLibraryPath(findLibrary(settings.libraryPath()).orElseThrow().toString());
        int uid = settings.uid() != null ? settings.uid() : processId("uid");
        int gid = settings.gid() != null ? settings.gid() : processId("gid");
        DiskFileSystem fs = new DiskFileSystem(builder.errno(), disks, metrics, settings.filePermissions(), uid, gid,
                settings.maxThreads(), settings.directIo(), clock);
        Fuse f;
        try {
            f = builder.build(fs);
        } catch (UnsatisfiedLinkError e) {
            throw new IOException("could not load libfuse3: " + e.getMessage() + " (apt-get install fuse3)", e);
        }
        String options = String.join(",", mountOptions());
        try {
            f.mount("bootswarm", mountPoint, "-o", options);
        } catch (FuseMountFailedException | RuntimeException e) {
            closeQuietly(f);
            throw new IOException("mounting FUSE at " + mountPoint + " with -o " + options + " failed: "
                    + e.getMessage(), e);
        }
        if (settings.directIo() && !fs.directIoActive()) {
            closeQuietly(f);
            throw new IOException("could not turn on direct_io for the FUSE files at " + mountPoint + " ("
                    + fs.initProblem() + "); set bootswarm.agent.fuse.direct-io=false to use the kernel page cache "
                    + "(then do not write the same disk over NBD while it is open here)");
        }
        fileSystem = fs;
        fuse = f;
        log.info("disks presented as files at {}/<disk id>/{} (FUSE, {}, up to {} requests at once)", mountPoint,
                FILE_NAME, settings.directIo() ? "direct_io" : "kernel page cache", settings.maxThreads());
        return this;
    }

    /**
     * The options after {@code -o}. ({@code direct_io} is not one of them in libfuse 3: it is set
     * in {@code init}.) Requests are up to 1 MiB, libfuse's and the kernel's limit, set in {@code init}.
     */
    List<String> mountOptions() {
        List<String> o = new ArrayList<>(List.of("fsname=bootswarm", "subtype=bootswarm", "default_permissions",
                "max_threads=" + settings.maxThreads()));
        String timeout = String.format(Locale.ROOT, "%.3f", settings.attributeTimeout().toNanos() / 1e9);
        o.add("attr_timeout=" + timeout);
        o.add("entry_timeout=" + timeout);
        o.add("negative_timeout=0");
        if (settings.allowOther()) {
            o.add("allow_other");
        }
        return o;
    }

    /** Where the file system is mounted (absolute, as the mount table shows it). */
    public Path mountPoint() {
        return mountPoint;
    }

    public boolean isMounted() {
        return fuse != null;
    }

    /** The file the hypervisor opens for this disk, while mounted and while the disk exists. */
    public Optional<Path> pathOf(UUID diskId) {
        if (!isMounted() || disks.find(diskId).isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(mountPoint.resolve(diskId.toString()).resolve(FILE_NAME));
    }

    /** Whether the files bypass the kernel's page cache (see {@link FuseProperties#directIo()}); false when not mounted. */
    public boolean directIo() {
        DiskFileSystem fs = fileSystem;
        return fs != null && fs.directIoActive();
    }

    /** Disk files open through the mount now. */
    public int openFiles() {
        DiskFileSystem fs = fileSystem;
        return fs == null ? 0 : fs.openFiles();
    }

    /**
     * Unmounts (lazily: a process holding a file open keeps it until it closes it, with every further
     * request failing). Does nothing if not mounted.
     */
    @Override
    public synchronized void close() {
        Fuse f = fuse;
        if (f == null) {
            return;
        }
        fuse = null;
        closeQuietly(f);
        try {
            if (MountTable.at(mountPoint).isPresent() && !MountTable.unmountLazily(mountPoint)) {
                log.warn("FUSE file system at {} is still mounted; detach it with fusermount3 -u -z {}", mountPoint,
                        mountPoint);
                return;
            }
        } catch (IOException e) {
            log.warn("checking the unmount of {}: {}", mountPoint, e.toString());
        }
        log.info("FUSE file system at {} unmounted", mountPoint);
    }

    private void closeQuietly(Fuse f) {
        try {
            f.close();
        } catch (TimeoutException e) {
            log.warn("the FUSE loop at {} did not stop within 10 s (a read still waiting for a piece?)", mountPoint);
        } catch (RuntimeException e) {
            log.warn("closing the FUSE file system at {}: {}", mountPoint, e.toString());
        }
    }

    @Override
    public String toString() {
        return "FuseMount[" + mountPoint + (isMounted() ? ", mounted]" : "]");
    }
}
