package io.bootswarm.common.wire;

import org.jspecify.annotations.Nullable;
import io.bootswarm.common.time.MonotonicClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Deals the upload slots of a {@link PeerWireServer} (BEP 3 choking). At most {@code uploadSlots}
 * interested peers are unchoked at once, first come first served; one that has been unchoked for
 * {@link #ROTATE_AFTER} makes room for one that waits, and goes to the back of the line. One more,
 * optimistic, slot goes to a random waiting peer, and moves every {@link #ROTATE_AFTER}. Peers whose
 * extended handshake says {@code urgent} are unchoked at once and outside the slots while they stay within
 * their urgent allowance ({@link UploadConnection#urgentInBudget}); one that ran out of it during the last
 * round ({@link #RECHOKE_EVERY}) is dealt a slot like any other peer, and choked first when the slots are
 * full, until it has kept within its allowance for a round.
 *
 * <p>The slots are re-dealt when a peer's interest, urgency or connection changes, and on every
 * {@link #tick()}: its thread ticks every {@link #RECHOKE_EVERY}, and a tick also closes connections whose
 * peer has stopped reading for the write timeout. Time is read from the clock it is given, so a test
 * moves the clock and calls {@link #tick()} itself.
 */
final class Choker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Choker.class);

    /** How long a regular unchoke lasts while others wait, and how often the optimistic slot moves. */
    static final Duration ROTATE_AFTER = Duration.ofSeconds(30);
    static final Duration RECHOKE_EVERY = Duration.ofSeconds(10);

    /** A connection's place in the dealing. */
    enum State { NOT_INTERESTED, CHOKED, REGULAR, OPTIMISTIC, URGENT }

    private final Set<UploadConnection> connections;
    private final int uploadSlots;
    private final Duration writeTimeout;
    private final InstantSource clock;
    private final Object lock = new Object();
    private long optimisticMovedAt;
    private volatile boolean closed;
    private @Nullable Thread thread;

    Choker(Set<UploadConnection> connections, int uploadSlots, Duration writeTimeout, InstantSource clock) {
        this.connections = connections;
        this.uploadSlots = uploadSlots;
        this.writeTimeout = writeTimeout;
        this.clock = clock;
        this.optimisticMovedAt = MonotonicClock.nanos(clock);
    }

    /** Starts ticking every {@link #RECHOKE_EVERY}; {@code name} names the thread. */
    synchronized void start(String name) {
        if (thread == null && !closed) {
            thread = Thread.ofVirtual().name(name).start(this::loop);
        }
    }

    /**
     * Stops the thread's ticking (on real time) and leaves {@link #tick()} to the caller: for tests that move a
     * manual clock and must not see a tick land between their steps.
     */
    synchronized void stopTicking() {
        if (thread != null) {
            thread.interrupt();
            thread = null;
        }
    }

    private void loop() {
        while (!closed) {
            try {
                Thread.sleep(RECHOKE_EVERY);
            } catch (InterruptedException e) {
                return;
            }
            tick();
        }
    }

    /** Rotates the slots that are due and closes connections whose peer stopped reading. */
    void tick() {
        synchronized (lock) {
            rechoke(true);
        }
        long stall = writeTimeout.toNanos();
        for (UploadConnection c : connections) {
            if (c.stalled(stall)) {
                log.warn("closing peer {}: it has not read for {}", c.socket.getRemoteSocketAddress(), writeTimeout);
                c.close();
            }
        }
    }

    /** Re-deals the upload slots after a peer's interest, urgency or connection changed. */
    void interestChanged(UploadConnection changed) {
        synchronized (lock) {
            if (!changed.interested || !connections.contains(changed)) {
                changed.choke();
            }
            rechoke(false);
        }
    }

    /** Each connection's state, by the peer's port (its remote port). */
    Map<Integer, State> states() {
        synchronized (lock) {
            Map<Integer, State> states = new HashMap<>();
            for (UploadConnection c : connections) {
                states.put(c.socket.getPort(), state(c));
            }
            return states;
        }
    }

    private State state(UploadConnection c) {
        if (!c.interested) {
            return State.NOT_INTERESTED;
        } else if (c.choked) {
            return State.CHOKED;
        } else if (c.urgentInBudget(MonotonicClock.nanos(clock), RECHOKE_EVERY.toNanos())) {
            return State.URGENT;
        }
        return c.optimistic ? State.OPTIMISTIC : State.REGULAR;
    }

    /** Called with {@link #lock} held. */
    private void rechoke(boolean rotate) {
        long now = MonotonicClock.nanos(clock);
        List<UploadConnection> waiting = new ArrayList<>();
        List<UploadConnection> regular = new ArrayList<>();
        UploadConnection optimistic = null;
        for (UploadConnection c : connections) {
            if (!c.interested) {
                continue;
            }
            if (c.urgentInBudget(now, RECHOKE_EVERY.toNanos())) {
                c.unchoke(false);
            } else if (c.choked) {
                waiting.add(c);
            } else if (c.optimistic) {
                optimistic = c;
            } else {
                regular.add(c);
            }
        }
        // an urgent peer over its allowance holds a slot like the others: beyond the slots it goes first
        for (UploadConnection c : List.copyOf(regular)) {
            if (regular.size() <= uploadSlots) {
                break;
            }
            if (c.urgent) {
                c.choke();
                regular.remove(c);
                c.interestedSince = now;
                waiting.add(c);
            }
        }
        waiting.sort(Comparator.comparingLong(c -> c.interestedSince));
        if (rotate && !waiting.isEmpty()) {
            regular.sort(Comparator.comparingLong(c -> c.unchokedAt));
            for (UploadConnection c : List.copyOf(regular)) {
                if (waiting.isEmpty() || now - c.unchokedAt < ROTATE_AFTER.toNanos()) {
                    break;
                }
                c.choke();
                regular.remove(c);
                c.interestedSince = now; // back of the line
                waiting.add(c);
            }
        }
        while (regular.size() < uploadSlots && !waiting.isEmpty()) {
            UploadConnection c = waiting.removeFirst();
            c.unchoke(false);
            regular.add(c);
        }
        boolean moveOptimistic = optimistic == null || (rotate && now - optimisticMovedAt > ROTATE_AFTER.toNanos());
        if (moveOptimistic && !waiting.isEmpty()) {
            if (optimistic != null) {
                optimistic.choke();
            }
            waiting.get(ThreadLocalRandom.current().nextInt(waiting.size())).unchoke(true);
            optimisticMovedAt = now;
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
