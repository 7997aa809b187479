package io.bootswarm.agent.disk;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real file channel with injected failures: the next armed write writes only some of its bytes
 * (a torn write) and then throws, the next armed force throws. {@link Opener} hands them out by
 * file name, for {@link FileOpener}.
 */
final class FaultyFileChannel extends FileChannel {

    /** Opens real files, wrapped; {@link #channel(String)} finds the wrapper of a file name. */
    static final class Opener implements FileOpener {
        private final Map<String, FaultyFileChannel> opened = new ConcurrentHashMap<>();

        @Override
        public FileChannel open(Path file, OpenOption... options) throws IOException {
            FaultyFileChannel c = new FaultyFileChannel(FileOpener.PRIVATE.open(file, options));
            opened.put(file.getFileName().toString(), c);
            return c;
        }

        FaultyFileChannel channel(String fileName) {
            return opened.get(fileName);
        }
    }

    private final FileChannel delegate;
    private final AtomicInteger failingWrites = new AtomicInteger();
    private volatile int tornBytes;
    private final AtomicInteger failingForces = new AtomicInteger();
    private final java.util.concurrent.atomic.AtomicReference<Gate> readGate =
            new java.util.concurrent.atomic.AtomicReference<>();
    private volatile String message = "Input/output error";

    FaultyFileChannel(FileChannel delegate) {
        this.delegate = delegate;
    }

    /** The next {@code count} writes write at most {@code tornBytes} bytes, then throw {@code message}. */
    void failWrites(int count, int tornBytes, String message) {
        this.tornBytes = tornBytes;
        this.message = message;
        failingWrites.set(count);
    }

    /** The next {@code count} forces throw {@code message}. */
    void failForces(int count, String message) {
        this.message = message;
        failingForces.set(count);
    }

    private boolean take(AtomicInteger counter) {
        return counter.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    private ByteBuffer torn(ByteBuffer src) {
        ByteBuffer part = src.duplicate();
        part.limit(part.position() + Math.min(part.remaining(), tornBytes));
        return part;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (take(failingWrites)) {
            delegate.write(torn(src));
            throw new IOException(message);
        }
        return delegate.write(src);
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
        if (take(failingWrites)) {
            delegate.write(torn(src), position);
            throw new IOException(message);
        }
        return delegate.write(src, position);
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
        if (take(failingWrites)) {
            throw new IOException(message);
        }
        return delegate.write(srcs, offset, length);
    }

    @Override
    public void force(boolean metaData) throws IOException {
        if (take(failingForces)) {
            throw new IOException(message);
        }
        delegate.force(metaData);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return delegate.read(dst);
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
        return delegate.read(dsts, offset, length);
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
        Gate gate = readGate.getAndSet(null);
        if (gate != null) {
            gate.entered().countDown();
            try {
                gate.release().await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException();
            }
        }
        return delegate.read(dst, position);
    }

    /** A paused read: {@code entered} opens when it has started, {@code release} lets it go on. */
    record Gate(java.util.concurrent.CountDownLatch entered, java.util.concurrent.CountDownLatch release) {
    }

    /** The next positional read waits, once it has started, until the gate is released. */
    Gate pauseNextRead() {
        Gate g = new Gate(new java.util.concurrent.CountDownLatch(1), new java.util.concurrent.CountDownLatch(1));
        readGate.set(g);
        return g;
    }

    @Override
    public long position() throws IOException {
        return delegate.position();
    }

    @Override
    public FileChannel position(long newPosition) throws IOException {
        delegate.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
        delegate.truncate(size);
        return this;
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
        return delegate.transferTo(position, count, target);
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
        return delegate.transferFrom(src, position, count);
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
        return delegate.map(mode, position, size);
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
        return delegate.lock(position, size, shared);
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
        return delegate.tryLock(position, size, shared);
    }

    @Override
    protected void implCloseChannel() throws IOException {
        delegate.close();
    }
}
