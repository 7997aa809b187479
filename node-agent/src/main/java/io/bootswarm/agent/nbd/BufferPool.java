package io.bootswarm.agent.nbd;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Direct buffers for request payloads, reused across requests: allocating (and zeroing) a direct
 * buffer of up to 32 MiB per request, and leaving it to the garbage collector, costs more than the
 * copy it holds. Every buffer has {@link #HEADROOM} bytes in front of its payload area, room for the
 * 16-byte simple reply header or the 28 bytes of a structured {@code NBD_REPLY_TYPE_OFFSET_DATA}
 * chunk's header and offset (right-aligned against the payload), so a READ reply leaves in a single
 * contiguous write.
 *
 * <p>Buffers come in power-of-two classes (512 B .. 32 MiB payload); a class keeps its free buffers
 * in a LIFO stack. At most {@code maxRetainedBytes} are kept idle; beyond that a released buffer
 * is dropped.
 */
final class BufferPool {

    static final int HEADROOM = NbdProtocol.OFFSET_DATA_HEADER_SIZE;
    private static final int MIN_SHIFT = 9;
    private static final int MAX_SHIFT = 25;

    private final ConcurrentLinkedDeque<ByteBuffer>[] free;
    private final AtomicLong retained = new AtomicLong();
    private final long maxRetainedBytes;

    @SuppressWarnings("unchecked")
    BufferPool(long maxRetainedBytes) {
        this.maxRetainedBytes = maxRetainedBytes;
        this.free = new ConcurrentLinkedDeque[MAX_SHIFT - MIN_SHIFT + 1];
        for (int i = 0; i < free.length; i++) {
            free[i] = new ConcurrentLinkedDeque<>();
        }
    }

    /**
     * A buffer with position 0 and limit {@code HEADROOM + payloadLength}; its contents are
     * undefined.
     */
    ByteBuffer acquire(int payloadLength) {
        if (payloadLength < 0 || payloadLength > (1 << MAX_SHIFT)) {
            throw new IllegalArgumentException("payload length " + payloadLength);
        }
        int shift = classShift(payloadLength);
        ByteBuffer b = free[shift - MIN_SHIFT].pollFirst();
        if (b == null) {
            b = ByteBuffer.allocateDirect(capacityFor(payloadLength));
        } else {
            retained.addAndGet(-b.capacity());
        }
        b.clear().limit(HEADROOM + payloadLength);
        return b;
    }

    /** Gives a buffer from {@link #acquire} back; the caller must not touch it afterwards. */
    void release(ByteBuffer b) {
        int payloadCapacity = b.capacity() - HEADROOM;
        if (Integer.bitCount(payloadCapacity) != 1) {
            return; // not one of ours
        }
        int shift = Integer.numberOfTrailingZeros(payloadCapacity);
        if (shift < MIN_SHIFT || shift > MAX_SHIFT) {
            return;
        }
        if (retained.addAndGet(b.capacity()) > maxRetainedBytes) {
            retained.addAndGet(-b.capacity());
            return;
        }
        free[shift - MIN_SHIFT].offerFirst(b);
    }

    long retainedBytes() {
        return retained.get();
    }

    /** The capacity of the buffer {@link #acquire} gives for {@code payloadLength}. */
    static int capacityFor(int payloadLength) {
        return (1 << classShift(payloadLength)) + HEADROOM;
    }

    static int classShift(int payloadLength) {
        if (payloadLength <= (1 << MIN_SHIFT)) {
            return MIN_SHIFT;
        }
        return 32 - Integer.numberOfLeadingZeros(payloadLength - 1);
    }
}
