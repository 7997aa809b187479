package io.bootswarm.agent.fuse;

import io.bootswarm.agent.nbd.BlockDevice;

import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mount's open {@code disk.img} files by file handle (the {@code fh} libfuse hands back with
 * each request): an open file keeps the device it was opened on for as long as it is open, even if
 * the disk leaves the catalog meanwhile.
 */
final class OpenFiles {

    /** An open {@code disk.img}; {@code dirty} while it has writes not yet flushed through it. */
    record OpenFile(UUID disk, BlockDevice device, boolean sync, AtomicBoolean dirty) {
    }

    private final ConcurrentHashMap<Long, OpenFile> files = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final FuseMetrics metrics;

    OpenFiles(FuseMetrics metrics) {
        this.metrics = metrics;
    }

    /** @return the new file's handle */
    long open(UUID disk, BlockDevice device, boolean sync) {
        long fh = handles.incrementAndGet();
        files.put(fh, new OpenFile(disk, device, sync, new AtomicBoolean()));
        metrics.opens.increment();
        metrics.openFiles.incrementAndGet();
        return fh;
    }

    /** The open file, or null for a handle that is not (or no longer) open. */
    OpenFile get(long fh) {
        return files.get(fh);
    }

    void release(long fh) {
        if (files.remove(fh) != null) {
            metrics.openFiles.decrementAndGet();
        }
    }

    int size() {
        return files.size();
    }
}
