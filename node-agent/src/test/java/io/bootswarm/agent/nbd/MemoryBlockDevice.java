package io.bootswarm.agent.nbd;

import java.nio.ByteBuffer;
import java.util.Arrays;

/** A {@link BlockDevice} in a byte array (tests). */
final class MemoryBlockDevice implements BlockDevice {

    final byte[] data;

    MemoryBlockDevice(byte[] data) {
        this.data = data;
    }

    MemoryBlockDevice(int size) {
        this(new byte[size]);
    }

    @Override
    public long size() {
        return data.length;
    }

    @Override
    public synchronized void read(long offset, ByteBuffer dst) {
        dst.put(data, (int) offset, dst.remaining());
    }

    @Override
    public synchronized void write(long offset, ByteBuffer src) {
        src.get(data, (int) offset, src.remaining());
    }

    @Override
    public synchronized void writeZeroes(long offset, long length) {
        Arrays.fill(data, (int) offset, (int) (offset + length), (byte) 0);
    }

    @Override
    public void flush() {
    }
}
