package io.bootswarm.agent.nbd;

import java.time.Duration;
import java.time.InstantSource;
import java.util.Collection;

/**
 * Drops connections that have not finished option haggling within the handshake timeout
 * ({@link NbdServerSettings#handshakeTimeout()}; "Fixed newstyle negotiation" sets none, so a client
 * could otherwise hold a connection slot forever). Deadlines are read from the server's
 * {@link InstantSource}; a virtual thread looks at them every {@link #tick}, so a connection is
 * dropped at most one tick after its deadline. Started by {@link #start()}, stopped by an idempotent
 * {@link #close()}.
 */
final class HandshakeTimer implements AutoCloseable {

    private final Collection<NbdConnection> connections;
    private final InstantSource clock;
    private final Duration tick;
    private Thread thread;
    private volatile boolean closed;

    HandshakeTimer(Collection<NbdConnection> connections, InstantSource clock, Duration handshakeTimeout) {
        this.connections = connections;
        this.clock = clock;
        Duration quarter = handshakeTimeout.dividedBy(4);
        this.tick = quarter.compareTo(Duration.ofMillis(10)) < 0 ? Duration.ofMillis(10)
                : quarter.compareTo(Duration.ofMillis(100)) > 0 ? Duration.ofMillis(100) : quarter;
    }

    synchronized void start() {
        if (thread != null || closed) {
            throw new IllegalStateException(closed ? "closed" : "already started");
        }
        thread = Thread.ofVirtual().name("nbd-handshake-timer").start(this::run);
    }

    /** One look at every connection; for the timer's thread (and tests). */
    int check() {
        int dropped = 0;
        var now = clock.instant();
        for (NbdConnection c : connections) {
            if (c.dropIfHandshakeOverdue(now)) {
                dropped++;
            }
        }
        return dropped;
    }

    private void run() {
        while (!closed) {
            try {
                Thread.sleep(tick);
            } catch (InterruptedException e) {
                return;
            }
            check();
        }
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
