package io.bootswarm.agent.nbd;

import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Back-pressure of one connection's transmission phase: at most {@code maxRequests} requests and
 * {@code maxBytes} payload bytes are being served at once. The reader {@link #acquire acquires}
 * before it starts a request and blocks beyond the limits, so it stops reading and TCP flow control
 * pushes back on the client; a request {@link #release releases} when its reply has gone out.
 */
final class InFlightLimits {

    private final int maxRequests;
    private final Semaphore requestPermits;
    private final Semaphore bytePermits;
    private final BufferBudget budget;

    InFlightLimits(int maxRequests, int maxBytes, BufferBudget budget) {
        this.maxRequests = maxRequests;
        this.budget = budget;
        this.requestPermits = new Semaphore(maxRequests);
        this.bytePermits = new Semaphore(maxBytes);
    }

    /** One request with {@code bytes} of payload (READ data or WRITE data; 0 for the others). */
    void acquire(int bytes) throws InterruptedException {
        requestPermits.acquire();
        if (bytes > 0) {
            try {
                bytePermits.acquire(bytes);
            } catch (InterruptedException e) {
                requestPermits.release();
                throw e;
            }
            try {
                budget.acquire(bytes);
            } catch (InterruptedException e) {
                bytePermits.release(bytes);
                requestPermits.release();
                throw e;
            }
        }
    }

    void release(int bytes) {
        if (bytes > 0) {
            budget.release(bytes);
            bytePermits.release(bytes);
        }
        requestPermits.release();
    }

    /**
     * Waits until no request is in flight, or {@code closed} says the connection was closed (checked
     * every 100 ms: a closed connection's requests may never release).
     */
    void awaitNoneInFlight(BooleanSupplier closed) throws InterruptedException {
        while (!requestPermits.tryAcquire(maxRequests, 100, TimeUnit.MILLISECONDS)) {
            if (closed.getAsBoolean()) {
                return;
            }
        }
        requestPermits.release(maxRequests);
    }
}
