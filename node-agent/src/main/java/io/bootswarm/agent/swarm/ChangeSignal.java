package io.bootswarm.agent.swarm;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * Wakes the fetches waiting for a usable connection whenever something they wait for may have
 * changed: a peer's pieces or choke state, a connection opened or closed, a piece arrived, the
 * tracker answered, a seed prefetch slot came free, a prefetch was raised to a demand fetch.
 */
final class ChangeSignal {

    private final Object changed = new Object();
    /** Completes at the next signal; guarded by {@link #changed}. */
    private CompletableFuture<Void> next = new CompletableFuture<>();

    void signal() {
        CompletableFuture<Void> signalled;
        synchronized (changed) {
            changed.notifyAll();
            signalled = next;
            next = new CompletableFuture<>();
        }
        signalled.complete(null);
    }

    /** A future that completes at the next signal, for a waiter that waits for other futures too. */
    CompletableFuture<Void> next() {
        synchronized (changed) {
            return next;
        }
    }

    /** Waits for the next signal, at most {@code max} (a waiter looks again either way). */
    void await(Duration max) throws InterruptedException {
        synchronized (changed) {
            changed.wait(max.toMillis());
        }
    }
}
