package io.bootswarm.agent.nbd;

import java.util.concurrent.Semaphore;

/**
 * The payload buffer memory all connections of one server may hold at once
 * ({@link NbdServerSettings#maxBufferBytes}): each connection's {@link InFlightLimits} takes a
 * request's {@linkplain NbdServerSettings#bufferBytesFor buffer size} from it before the request
 * starts, and blocks (so stops reading that client) while the budget is spent. Counted in KiB.
 */
final class BufferBudget {

    private static final int UNIT_SHIFT = 10;

    private final long limitBytes;
    private final int units;
    private final Semaphore permits;

    BufferBudget(long limitBytes) {
        this.limitBytes = limitBytes;
        this.units = (int) Math.min(Integer.MAX_VALUE, unitsFor(limitBytes));
        this.permits = new Semaphore(units);
    }

    void acquire(int payloadLength) throws InterruptedException {
        int n = unitsFor(payloadLength);
        if (n > 0) {
            permits.acquire(n);
        }
    }

    void release(int payloadLength) {
        int n = unitsFor(payloadLength);
        if (n > 0) {
            permits.release(n);
        }
    }

    /** Bytes held by requests now. */
    long inUseBytes() {
        return Math.min(limitBytes, (long) (units - permits.availablePermits()) << UNIT_SHIFT);
    }

    long limitBytes() {
        return limitBytes;
    }

    private static int unitsFor(int payloadLength) {
        return (int) unitsFor(NbdServerSettings.bufferBytesFor(payloadLength));
    }

    private static long unitsFor(long bytes) {
        return (bytes + (1 << UNIT_SHIFT) - 1) >> UNIT_SHIFT;
    }
}
