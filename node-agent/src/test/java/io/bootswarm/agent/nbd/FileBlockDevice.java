package io.bootswarm.agent.nbd;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Optional;

/**
 * A {@link BlockDevice} on a regular file of fixed size, with positional I/O (test and benchmark
 * use). Offers its file as {@link FileRegions} (zero-copy reads) unless told not to.
 */
final class FileBlockDevice implements BlockDevice, FileRegions, Closeable {

    private static final ByteBuffer ZEROES = ByteBuffer.allocateDirect(1 << 20);

    private final FileChannel channel;
    private final long size;
    private volatile boolean zeroCopy = true;

    private FileBlockDevice(FileChannel channel, long size) {
        this.channel = channel;
        this.size = size;
    }

    /** Whether to offer {@link FileRegions}; without, every read goes through {@link #read}. */
    FileBlockDevice zeroCopy(boolean on) {
        this.zeroCopy = on;
        return this;
    }

    @Override
    public Optional<List<Region>> regions(long offset, int length) {
        return zeroCopy ? Optional.of(List.of(Region.of(channel, offset, length))) : Optional.empty();
    }

    static FileBlockDevice open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        return new FileBlockDevice(ch, ch.size());
    }

    static FileBlockDevice openReadOnly(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new FileBlockDevice(ch, ch.size());
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                throw new EOFException("end of file at " + pos);
            }
            pos += n;
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        long pos = offset;
        while (src.hasRemaining()) {
            pos += channel.write(src, pos);
        }
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            ByteBuffer z = ZEROES.duplicate();
            z.limit((int) Math.min(z.capacity(), end - pos));
            while (z.hasRemaining()) {
                pos += channel.write(z, pos);
            }
        }
    }

    @Override
    public void flush() throws IOException {
        channel.force(false);
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
