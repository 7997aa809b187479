package io.bootswarm.agent.fuse;

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
import java.time.Instant;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The file system behind the mount: {@code /} lists one directory per disk, {@code /<id>/} holds
 * {@code disk.img}, a regular file as large as the disk whose reads and writes go straight to its
 * {@link BlockDevice}. Nothing can be created, renamed or removed, and the file's size never changes.
 *
 * <p>Called by libfuse on its own threads (several at once); every callback returns an errno
 * instead of throwing, since an exception escaping an upcall would end the JVM.
 */
final class DiskFileSystem implements FuseOperations {

    private static final Logger log = LoggerFactory.getLogger(DiskFileSystem.class);

    static final String FILE_NAME = "disk.img";
    /** Linux's ENOSPC (the same on every architecture); jfuse's {@link Errno} has no constant for it. */
    static final int ENOSPC = 28;
    /** Largest read or write the kernel sends: 256 pages, its limit and libfuse's buffer size. */
    static final int MAX_REQUEST = 1 << 20;
    private static final long ERROR_LOG_INTERVAL = TimeUnit.SECONDS.toNanos(1);
    private static final int BLOCK = 4096;

    /** An open {@code disk.img}: the device it was opened on stays its device while it is open. */
    private record OpenFile(UUID disk, BlockDevice device, boolean sync, AtomicBoolean dirty) {
    }

    /** A path of the mount: the root ({@code disk == null}), a disk's directory, or a disk's file. */
    record Node(UUID disk, boolean file) {
        static final Node ROOT = new Node(null, false);
    }

    private final Errno errno;
    private final DiskCatalog disks;
    private final FuseMetrics metrics;
    private final int filePermissions;
    private final int directoryPermissions;
    private final int uid;
    private final int gid;
    private final int maxBackground;
    private final boolean directIo;
    private volatile boolean directIoActive;
    private volatile String initProblem;
    private final Instant createdAt = Instant.now();
    private final ConcurrentHashMap<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final AtomicLong lastErrorLog = new AtomicLong(System.nanoTime() - 2 * ERROR_LOG_INTERVAL);
    private final LongAdder suppressedErrorLogs = new LongAdder();

    DiskFileSystem(Errno errno, DiskCatalog disks, FuseMetrics metrics, int filePermissions, int uid, int gid,
                   int maxBackground, boolean directIo) {
        this.errno = errno;
        this.disks = disks;
        this.metrics = metrics;
        this.filePermissions = filePermissions & 0777;
        // search permission wherever the file is readable; no one can create anything in them
        this.directoryPermissions = (this.filePermissions | ((this.filePermissions & 0444) >> 2)) & 0555 | 0100;
        this.uid = uid;
        this.gid = gid;
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

    /** Parses a path of the mount; null for anything that is not the root, a disk directory or a disk file. */
    static Node parse(String path) {
        if ("/".equals(path)) {
            return Node.ROOT;
        }
        if (path == null || !path.startsWith("/")) {
            return null;
        }
        int slash = path.indexOf('/', 1);
        UUID id = diskId(slash < 0 ? path.substring(1) : path.substring(1, slash));
        if (id == null) {
            return null;
        }
        if (slash < 0) {
            return new Node(id, false);
        }
        return FILE_NAME.equals(path.substring(slash + 1)) ? new Node(id, true) : null;
    }

    /** A disk id in its canonical (lower case) form, or null. */
    private static UUID diskId(String name) {
        if (name.length() != 36) {
            return null;
        }
        try {
            UUID id = UUID.fromString(name);
            return id.toString().equals(name) ? id : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
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
                    fileStat(stat, f.device().size());
                    return 0;
                }
            }
            Node node = parse(path);
            if (node == null) {
                return enoent();
            }
            if (node == Node.ROOT) {
                directoryStat(stat, 2 + disks.ids().size());
                return 0;
            }
            Optional<BlockDevice> device = disks.find(node.disk());
            if (device.isEmpty()) {
                return enoent();
            }
            if (node.file()) {
                fileStat(stat, device.get().size());
            } else {
                directoryStat(stat, 2);
            }
            return 0;
        } catch (Throwable t) {
            return unexpected("getattr", path, t);
        }
    }

    private void fileStat(Stat stat, long size) {
        stat.setMode(Stat.S_IFREG | filePermissions);
        stat.setNLink((short) 1);
        stat.setSize(size);
        owner(stat);
    }

    private void directoryStat(Stat stat, int links) {
        stat.setMode(Stat.S_IFDIR | directoryPermissions);
        stat.setNLink((short) Math.min(links, Short.MAX_VALUE));
        owner(stat);
    }

    private void owner(Stat stat) {
        stat.setUid(uid);
        stat.setGid(gid);
        for (TimeSpec t : new TimeSpec[]{stat.aTime(), stat.mTime(), stat.cTime()}) {
            t.set(createdAt);
        }
    }

    @Override
    public int readdir(String path, DirFiller filler, long offset, FileInfo fi, int flags) {
        try {
            Node node = parse(path);
            if (node == null) {
                return enoent();
            }
            if (node.file()) {
                return -errno.enotdir();
            }
            if (node != Node.ROOT && disks.find(node.disk()).isEmpty()) {
                return enoent();
            }
            filler.fill(".");
            filler.fill("..");
            if (node == Node.ROOT) {
                for (UUID id : disks.ids()) {
                    filler.fill(id.toString());
                }
            } else {
                filler.fill(FILE_NAME);
            }
            return 0;
        } catch (Throwable t) {
            return unexpected("readdir", path, t);
        }
    }

    @Override
    public int open(String path, FileInfo fi) {
        try {
            Node node = parse(path);
            if (node == null) {
                return enoent();
            }
            if (!node.file()) {
                return -errno.eisdir();
            }
            Optional<BlockDevice> device = disks.find(node.disk());
            if (device.isEmpty()) {
                return enoent();
            }
            Set<StandardOpenOption> options = fi.getOpenFlags();
            if (options.contains(StandardOpenOption.TRUNCATE_EXISTING)) {
                metrics.errEinval.increment();
                return -errno.einval(); // O_TRUNC: the file is the disk, its size cannot change
            }
            boolean sync = options.contains(StandardOpenOption.SYNC) || options.contains(StandardOpenOption.DSYNC);
            long fh = handles.incrementAndGet();
            files.put(fh, new OpenFile(node.disk(), device.get(), sync, new AtomicBoolean()));
            fi.setFh(fh);
            metrics.opens.increment();
            metrics.openFiles.incrementAndGet();
            return 0;
        } catch (Throwable t) {
            return unexpected("open", path, t);
        }
    }

    @Override
    public int read(String path, ByteBuffer buf, long count, long offset, FileInfo fi) {
        OpenFile f = files.get(fi.getFh());
        if (f == null) {
            return -errno.ebadf();
        }
        long t0 = System.nanoTime();
        try {
            long size = f.device().size();
            if (offset < 0) {
                metrics.errEinval.increment();
                return -errno.einval();
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
            metrics.readNanos.add(System.nanoTime() - t0);
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
                metrics.errEinval.increment();
                return -errno.einval();
            }
            if (count <= 0) {
                return 0;
            }
            if (offset >= size) {
                metrics.errEnospc.increment();
                return -ENOSPC; // as a block device does: the disk does not grow
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
        if (files.remove(fi.getFh()) != null) {
            metrics.openFiles.decrementAndGet();
        }
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
                Node node = parse(path);
                if (node == null) {
                    return enoent();
                }
                if (!node.file()) {
                    return -errno.eisdir();
                }
                Optional<BlockDevice> d = disks.find(node.disk());
                if (d.isEmpty()) {
                    return enoent();
                }
                device = d.get();
            }
            if (size == device.size()) {
                return 0;
            }
            metrics.errEinval.increment();
            return -errno.einval();
        } catch (Throwable t) {
            return unexpected("truncate", path, t);
        }
    }

    /** Accepted and ignored (so that {@code touch} works); the times shown are the mount's. */
    @Override
    public int utimens(String path, TimeSpec atime, TimeSpec mtime, FileInfo fi) {
        try {
            Node node = parse(path);
            if (node == null || (node != Node.ROOT && disks.find(node.disk()).isEmpty())) {
                return enoent();
            }
            return 0;
        } catch (Throwable t) {
            return unexpected("utimens", path, t);
        }
    }

    @Override
    public int statfs(String path, Statvfs statvfs) {
        try {
            long bytes = 0;
            for (UUID id : disks.ids()) {
                bytes += disks.find(id).map(BlockDevice::size).orElse(0L);
            }
            statvfs.setBsize(BLOCK);
            statvfs.setFrsize(BLOCK);
            statvfs.setBlocks((bytes + BLOCK - 1) / BLOCK);
            statvfs.setBfree(0);
            statvfs.setBavail(0);
            statvfs.setNameMax(255);
            return 0;
        } catch (Throwable t) {
            return unexpected("statfs", path, t);
        }
    }

    /** Files open now. */
    int openFiles() {
        return files.size();
    }

    private int enoent() {
        metrics.errEnoent.increment();
        return -errno.enoent();
    }

    private int unexpected(String op, String path, Throwable t) {
        metrics.errOther.increment();
        log.warn("FUSE {} {} failed", op, path, t);
        return -errno.eio();
    }

    /** EIO for a failure of the disk, logged at most once a second (with the count of the ones not logged). */
    private int deviceError(String op, OpenFile f, long offset, long length, Throwable t) {
        metrics.errEio.increment();
        long now = System.nanoTime();
        long last = lastErrorLog.get();
        if (now - last >= ERROR_LOG_INTERVAL && lastErrorLog.compareAndSet(last, now)) {
            long suppressed = suppressedErrorLogs.sumThenReset();
            log.warn("FUSE {} of disk {} at {} (+{}) failed, answered EIO: {}{}", op, f.disk(), offset, length,
                    t.toString(), suppressed > 0 ? " (" + suppressed + " more since the last message)" : "");
        } else {
            suppressedErrorLogs.increment();
        }
        return -errno.eio();
    }
}
