package io.bootswarm.agent.swarm;

import java.time.Duration;

/**
 * Wakes the fetches waiting for a usable connection whenever something they wait for may have
 * changed: a peer's pieces or choke state, a connection opened or closed, a piece arrived, the
 * tracker answered, a seed prefetch slot came free, a prefetch was raised to a demand fetch.
 */
final class ChangeSignal {

    private final Object changed = new Object();

    void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    /** Waits for the next signal, at most {@code max} (a waiter looks again either way). */
    void await(Duration max) throws InterruptedException {
        synchronized (changed) {
            changed.wait(max.toMillis());
        }
    }
}
