package io.bootswarm.agent.fuse;

import io.bootswarm.agent.fuse.OpenFiles.OpenFile;
import io.bootswarm.agent.nbd.BlockDevice;
import org.cryptomator.jfuse.api.DirFiller;
import org.cryptomator.jfuse.api.Errno;
import org.cryptomator.jfuse.api.FileInfo;
import org.cryptomator.jfuse.api.FuseConfig;
import org.cryptomator.jfuse.api.FuseConnInfo;
import org.cryptomator.jfuse.api.FuseOperations;
import org.cryptomator.jfuse.api.Stat;
import org.cryptomator.jfuse.api.Statvfs;
import org.cryptomator.jfuse.api.TimeSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * The file system behind the mount: {@code /} lists one directory per disk, {@code /<id>/} holds
 * {@code disk.img}, a regular file as large as the disk whose reads and writes go straight to its
 * {@link BlockDevice}. Nothing can be created, renamed or removed, and the file's size never changes.
 *
 * <p>Called by libfuse on its own threads (several at once); every callback returns an errno
 * instead of throwing, since an exception escaping an upcall would end the JVM.
 *
 * <p>Its parts: {@link MountPath} parses paths, {@link OpenFiles} holds the open files,
 * {@link FileAttributes} fills in {@code stat} and {@code statfs}, {@link FuseErrors} picks and logs errors.
 */
final class DiskFileSystem implements FuseOperations {

    private static final Logger log = LoggerFactory.getLogger(DiskFileSystem.class);

    static final String FILE_NAME = "disk.img";
    /** Linux's ENOSPC (the same on every architecture); jfuse's {@link Errno} has no constant for it. */
    static final int ENOSPC = 28;
    /** Largest read or write the kernel sends: 256 pages, its limit and libfuse's buffer size. */
    static final int MAX_REQUEST = 1 << 20;

    private final Errno errno;
    private final DiskCatalog disks;
    private final FuseMetrics metrics;
    private final InstantSource clock;
    private final FileAttributes attributes;
    private final OpenFiles files;
    private final FuseErrors errors;
    private final int maxBackground;
    private final boolean directIo;
    private volatile boolean directIoActive;
    private volatile String initProblem;

    /**
     * @param clock what the mount's file times and the read latencies are taken from
     */
    DiskFileSystem(Errno errno, DiskCatalog disks, FuseMetrics metrics, int filePermissions, int uid, int gid,
                   int maxBackground, boolean directIo, InstantSource clock) {
        this.errno = errno;
        this.disks = disks;
        this.metrics = metrics;
        this.clock = clock;
        this.attributes = new FileAttributes(filePermissions, uid, gid, clock.instant());
        this.files = new OpenFiles(metrics);
        this.errors = new FuseErrors(errno, metrics, clock);
        this.maxBackground = maxBackground;
        this.directIo = directIo;
    }

    @Override
    public Errno errno() {
        return errno;
    }

    @Override
    public Set<Operation> supportedOperations() {
        return EnumSet.of(Operation.INIT, Operation.GET_ATTR, Operation.READ_DIR, Operation.OPEN, Operation.READ,
                Operation.WRITE, Operation.FLUSH, Operation.FSYNC, Operation.RELEASE, Operation.TRUNCATE,
                Operation.UTIMENS, Operation.STATFS);
    }

    @Override
    public void init(FuseConnInfo conn, FuseConfig cfg) {
        try {
            conn.setMaxWrite(MAX_REQUEST);
            conn.setMaxReadahead(MAX_REQUEST);
            conn.setMaxBackground(maxBackground);
            conn.setCongestionThreshold(Math.max(1, maxBackground * 3 / 4));
            if (directIo) {
                directIoActive = JfuseConfig.enableDirectIo(cfg);
                if (!directIoActive) {
                    initProblem = "libfuse did not take direct_io";
                }
            }
            log.debug("FUSE protocol {}.{}, max_write {}, max_readahead {}, direct_io {}", conn.protoMajor(),
                    conn.protoMinor(), conn.maxWrite(), conn.maxReadahead(), directIoActive);
        } catch (Throwable t) {
            initProblem = t.toString();
            log.warn("FUSE init: {}", t.toString());
        }
    }

    /** Whether every file bypasses the kernel's page cache (known once mounted). */
    boolean directIoActive() {
        return directIoActive;
    }

    /** What went wrong in {@code init}, or null. */
    String initProblem() {
        return initProblem;
    }

    @Override
    public int getattr(String path, Stat stat, FileInfo fi) {
        try {
            if (fi != null) {
                OpenFile f = files.get(fi.getFh());
                if (f != null) {
                    attributes.file(stat, f.device().size());
                    return 0;
                }
            }
            MountPath node = MountPath.parse(path);
            if (node == null) {
                return errors.enoent();
            }
            if (node == MountPath.ROOT) {
                attributes.directory(stat, 2 + disks.ids().size());
                return 0;
            }
            Optional<BlockDevice> device = disks.find(node.disk());
            if (device.isEmpty()) {
                return errors.enoent();
            }
            if (node.file()) {
                attributes.file(stat, device.get().size());
            } else {
                attributes.directory(stat, 2);
            }
            return 0;
        } catch (Throwable t) {
            return errors.unexpected("getattr", path, t);
        }
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        try {
            MountPath node = MountPath.parse(path);
            if (node == null) {
                return errors.enoent();
            }
            if (node.file()) {
                return -errno.enotdir();
            }
            if (node != MountPath.ROOT && disks.find(node.disk()).isEmpty()) {
                return errors.enoent();
            }
            filler.fill(".");
            filler.fill("..");
            if (node == MountPath.ROOT) {
                for (UUID id : disks.ids()) {
                    filler.fill(id.toString());
                }
            } else {
                filler.fill(FILE_NAME);
            }
            return 0;
        } catch (Throwable t) {
            return errors.unexpected("readdir", path, t);
        }
    }

    @Override
    public int open(String path, FileInfo fi) {
        try {
            MountPath node = MountPath.parse(path);
            if (node == null) {
                return errors.enoent();
            }
            if (!node.file()) {
                return -errno.eisdir();
            }
            Optional<BlockDevice> device = disks.find(node.disk());
            if (device.isEmpty()) {
                return errors.enoent();
            }
            Set<StandardOpenOption> options = fi.getOpenFlags();
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                return errors.einval(); // O_TRUNC: the file is the disk, its size cannot change
            }
            boolean sync = options.contains(StandardOpenOption.SYNC) || options.contains(StandardOpenOption.DSYNC);
            fi.setFh(files.open(node.disk(), device.get(), sync));
            return 0;
        } catch (Throwable t) {
            return errors.unexpected("open", path, t);
        }
    }

    @Override
    public int read(String path, ByteBuffer buf, long count, long offset, FileInfo fi) {
        OpenFile f = files.get(fi.getFh());
        if (f == null) {
            return -errno.ebadf();
        }
        Instant t0 = clock.instant();
        try {
            long size = f.device().size();
            if (offset < 0) {
                return errors.einval();
            }
            if (offset >= size || count <= 0) {
                return 0; // end of file
            }
            int n = (int) Math.min(Math.min(count, size - offset), buf.capacity());
            f.device().read(offset, buf.clear().limit(n));
            metrics.bytesRead.add(n);
            return n;
        } catch (Throwable t) {
            return deviceError("read", f, offset, count, t);
        } finally {
            metrics.reads.increment();
            metrics.readNanos.add(Duration.between(t0, clock.instant()).toNanos());
        }
    }

    @Override
    public int write(String path, ByteBuffer buf, long count, long offset, FileInfo fi) {
        OpenFile f = files.get(fi.getFh());
        if (f == null) {
            return -errno.ebadf();
        }
        metrics.writes.increment();
        try {
            long size = f.device().size();
            if (offset < 0) {
                return errors.einval();
            }
            if (count <= 0) {
                return 0;
            }
            if (offset >= size) {
                return errors.enospc(); // as a block device does: the disk does not grow
            }
            int n = (int) Math.min(Math.min(count, size - offset), buf.capacity());
            f.dirty().set(true);
            f.device().write(offset, buf.clear().limit(n));
            metrics.bytesWritten.add(n);
            if (f.sync()) {
                flushDevice(f);
            }
            return n; // short when the write runs past the end, like a block device's
        } catch (Throwable t) {
            return deviceError("write", f, offset, count, t);
        }
    }

    private void flushDevice(OpenFile f) throws IOException {
        f.dirty().set(false);
        try {
            f.device().flush();
        } catch (IOException | RuntimeException e) {
            f.dirty().set(true);
            throw e;
        }
    }

    /** fsync and fdatasync: everything written to the disk so far (through any path) becomes durable. */
    @Override
    public int fsync(String path, int datasync, FileInfo fi) {
        OpenFile f = files.get(fi.getFh());
        if (f == null) {
            return -errno.ebadf();
        }
        metrics.fsyncs.increment();
        try {
            flushDevice(f);
            return 0;
        } catch (Throwable t) {
            return deviceError("fsync", f, 0, 0, t);
        }
    }

    /** close() of a descriptor: makes its writes durable if it wrote since its last fsync. */
    @Override
    public int flush(String path, FileInfo fi) {
        OpenFile f = files.get(fi.getFh());
        if (f == null || !f.dirty().get()) {
            return 0;
        }
        metrics.fsyncs.increment();
        try {
            flushDevice(f);
            return 0;
        } catch (Throwable t) {
            return deviceError("flush", f, 0, 0, t);
        }
    }

    @Override
    public int release(String path, FileInfo fi) {
        files.release(fi.getFh());
        return 0;
    }

    /** Only to the size the file has: a disk image must not change size (EINVAL, as for a block device). */
    @Override
    public int truncate(String path, long size, FileInfo fi) {
        try {
            OpenFile f = fi == null ? null : files.get(fi.getFh());
            BlockDevice device;
            if (f != null) {
                device = f.device();
            } else {
                MountPath node = MountPath.parse(path);
                if (node == null) {
                    return errors.enoent();
                }
                if (!node.file()) {
                    return -errno.eisdir();
                }
                Optional<BlockDevice> d = disks.find(node.disk());
                if (d.isEmpty()) {
                    return errors.enoent();
                }
                device = d.get();
            }
            if (size == device.size()) {
                return 0;
            }
            return errors.einval();
        } catch (Throwable t) {
            return errors.unexpected("truncate", path, t);
        }
    }

    /** Accepted and ignored (so that {@code touch} works); the times shown are the mount's. */
    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        try {
            MountPath node = MountPath.parse(path);
            if (node == null || (node != MountPath.ROOT && disks.find(node.disk()).isEmpty())) {
                return errors.enoent();
            }
            return 0;
        } catch (Throwable t) {
            return errors.unexpected("utimens", path, t);
        }
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        try {
            long bytes = 0;
            for (UUID id : disks.ids()) {
                bytes += disks.find(id).map(BlockDevice::size).orElse(0L);
            }
            FileAttributes.fileSystem(statvfs, bytes);
            return 0;
        } catch (Throwable t) {
            return errors.unexpected("statfs", path, t);
        }
    }

    /** Files open now. */
    int openFiles() {
        return files.size();
    }

    private int deviceError(String op, OpenFile f, long offset, long length, Throwable t) {
        return errors.deviceError(op, f.disk(), offset, length, t);
    }
}
