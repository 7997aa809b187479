package io.bootswarm.agent.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A device shaped like the agent's virtual disk, for the zero-copy path: the image is cut into
 * blocks; every third block is all zeroes and has no file region (like a zero piece), the others
 * are stored in a file in reverse order (like piece slots); blocks marked missing make
 * {@link #regions} empty, so the server falls back to {@link #read}. Its {@link #extents} tell
 * the zero blocks (base:allocation) and the missing one (bootswarm:present). It records the threads
 * that call {@link #regions}, {@link #extents} and {@link #read}, and {@link #read} can be held
 * (a missing piece being fetched).
 */
final class RegionDevice implements BlockDevice, FileRegions, AutoCloseable {

    static final int BLOCK = 64 * 1024;

    private final byte[] image;
    private final int blocks;
    private final FileChannel file;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger regionCalls = new AtomicInteger();
    volatile int missingBlock = -1;
    /** Extra bytes claimed by the last region, to test a device that gets its arithmetic wrong. */
    volatile int lengthError;
    /** Points the regions of this block past the end of the file (a truncated store). */
    volatile int truncatedBlock = -1;
    final List<Thread> regionThreads = new CopyOnWriteArrayList<>();
    final List<Thread> extentThreads = new CopyOnWriteArrayList<>();
    final List<Thread> readThreads = new CopyOnWriteArrayList<>();
    /** When set, {@link #read} waits until it is counted down. */
    volatile CountDownLatch readGate;

    RegionDevice(byte[] image, Path storage) throws IOException {
        this.image = image;
        this.blocks = (image.length + BLOCK - 1) / BLOCK;
        for (int b = 0; b < blocks; b++) {
            if (isZero(b)) {
                java.util.Arrays.fill(image, b * BLOCK, Math.min(image.length, (b + 1) * BLOCK), (byte) 0);
            }
        }
        this.file = FileChannel.open(storage, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        for (int b = 0; b < blocks; b++) {
            if (!isZero(b)) {
                int len = Math.min(BLOCK, image.length - b * BLOCK);
                file.write(ByteBuffer.wrap(image, b * BLOCK, len), slot(b));
            }
        }
    }

    static boolean isZero(int block) {
        return block % 3 == 2;
    }

    private long slot(int block) {
        return (long) (blocks - 1 - block) * BLOCK;
    }

    @Override
    public Optional<List<Region>> regions(long offset, int length) throws IOException {
        regionCalls.incrementAndGet();
        regionThreads.add(Thread.currentThread());
        List<Region> out = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int b = (int) (pos / BLOCK);
            if (b == missingBlock) {
                return Optional.empty();
            }
            int within = (int) (pos % BLOCK);
            int n = (int) Math.min(BLOCK - within, end - pos);
            if (isZero(b)) {
                out.add(Region.zeroes(n));
            } else if (b == truncatedBlock) {
                out.add(Region.of(file, file.size() + 10, n));
            } else {
                out.add(Region.of(file, slot(b) + within, n));
            }
            pos += n;
        }
        if (lengthError != 0) {
            Region last = out.removeLast();
            out.add(new Region(last.file(), last.position(), last.length() + lengthError));
        }
        return Optional.of(out);
    }

    /** Zero blocks are holes that read as zeroes; every block but the missing one is present. */
    @Override
    public List<Extent> extents(long offset, long length, MetaContext context, int maxExtents) {
        extentThreads.add(Thread.currentThread());
        Extents out = new Extents(maxExtents);
        long pos = offset;
        long end = offset + length;
        while (pos < end && !out.full()) {
            int b = (int) (pos / BLOCK);
            long n = Math.min((long) (b + 1) * BLOCK, end) - pos;
            int flags = switch (context) {
                case BASE_ALLOCATION -> isZero(b) ? MetaContext.STATE_HOLE | MetaContext.STATE_ZERO : 0;
                case BOOTSWARM_PRESENT -> b == missingBlock ? 0 : MetaContext.STATE_PRESENT;
            };
            out.add(n, flags);
            pos += n;
        }
        return out.toList();
    }

    @Override
    public long size() {
        return image.length;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        reads.incrementAndGet();
        readThreads.add(Thread.currentThread());
        CountDownLatch gate = readGate;
        try {
            if (gate != null && !gate.await(30, TimeUnit.SECONDS)) {
                throw new IOException("read gate never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        dst.put(image, (int) offset, dst.remaining());
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        throw new IOException("read-only");
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() throws IOException {
        file.close();
    }
}
