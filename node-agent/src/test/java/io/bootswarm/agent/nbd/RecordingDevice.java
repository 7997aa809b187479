package io.bootswarm.agent.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a device: counts calls, records trims, can hold reads at chosen offsets until released
 * (a piece still being fetched), can fail reads at chosen offsets, and records (or fails) cache hints.
 */
final class RecordingDevice implements BlockDevice {

    record Range(long offset, long length) {
    }

    private final BlockDevice delegate;
    final AtomicInteger reads = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    final AtomicInteger flushes = new AtomicInteger();
    final AtomicInteger writeZeroes = new AtomicInteger();
    final List<Range> trims = new CopyOnWriteArrayList<>();
    final List<Range> zeroed = new CopyOnWriteArrayList<>();
    final List<Range> caches = new CopyOnWriteArrayList<>();
    private volatile String cacheFailure;
    private final Map<Long, CountDownLatch> gates = new ConcurrentHashMap<>();
    private final Map<Long, CountDownLatch> arrived = new ConcurrentHashMap<>();
    private final Map<Long, String> failures = new ConcurrentHashMap<>();

    RecordingDevice(BlockDevice delegate) {
        this.delegate = delegate;
    }

    /** Reads starting at {@code offset} wait until {@link #open(long)}. */
    void hold(long offset) {
        gates.put(offset, new CountDownLatch(1));
        arrived.put(offset, new CountDownLatch(1));
    }

    void open(long offset) {
        gates.get(offset).countDown();
    }

    /** Waits until a read at a held offset has reached the device. */
    boolean awaitHeldRead(long offset, long millis) throws InterruptedException {
        return arrived.get(offset).await(millis, TimeUnit.MILLISECONDS);
    }

    /** Reads starting at {@code offset} throw an IOException with this message. */
    void fail(long offset, String message) {
        failures.put(offset, message);
    }

    @Override
    public long size() {
        return delegate.size();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        reads.incrementAndGet();
        CountDownLatch gate = gates.get(offset);
        if (gate != null) {
            arrived.get(offset).countDown();
            try {
                if (!gate.await(30, TimeUnit.SECONDS)) {
                    throw new IOException("gate at " + offset + " never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException(e);
            }
        }
        String failure = failures.get(offset);
        if (failure != null) {
            throw new IOException(failure);
        }
        delegate.read(offset, dst);
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        writes.incrementAndGet();
        delegate.write(offset, src);
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        writeZeroes.incrementAndGet();
        zeroed.add(new Range(offset, length));
        delegate.writeZeroes(offset, length);
    }

    @Override
    public void flush() throws IOException {
        flushes.incrementAndGet();
        delegate.flush();
    }

    @Override
    public void trim(long offset, long length) throws IOException {
        trims.add(new Range(offset, length));
        delegate.trim(offset, length);
    }

    /** Cache hints throw an IOException with this message (after being recorded). */
    void failCache(String message) {
        cacheFailure = message;
    }

    @Override
    public void cache(long offset, long length) throws IOException {
        caches.add(new Range(offset, length));
        if (cacheFailure != null) {
            throw new IOException(cacheFailure);
        }
        delegate.cache(offset, length);
    }
}
