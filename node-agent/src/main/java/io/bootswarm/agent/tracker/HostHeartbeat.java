package io.bootswarm.agent.tracker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;

/**
 * Keeps this host registered with the tracker: registers at start, heartbeats every
 * {@code interval}, and registers again whenever the tracker has forgotten the host. A tracker
 * outage is logged once when it starts and once when it ends; the agent keeps serving its disks
 * meanwhile. Runs from {@link #start()} to {@link #close()}.
 */
public final class HostHeartbeat implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HostHeartbeat.class);

    private final TrackerClient tracker;
    private final String host;
    private final String apiUrl;
    private final int peerPort;
    private final Duration interval;
    private Thread thread;
    private boolean closed;
    private volatile boolean registered;
    private boolean failing;

    public HostHeartbeat(TrackerClient tracker, String host, String apiUrl, int peerPort, Duration interval) {
        this.tracker = tracker;
        this.host = host;
        this.apiUrl = apiUrl;
        this.peerPort = peerPort;
        this.interval = interval;
    }

    /** Registers at once and heartbeats every {@code interval} (on a virtual thread of its own); once. */
    public synchronized HostHeartbeat start() {
        if (thread == null && !closed) {
            thread = Thread.ofVirtual().name("host-heartbeat").start(this::loop);
        }
        return this;
    }

    /** True once the tracker has accepted this host's registration. */
    public boolean isRegistered() {
        return registered;
    }

    private void loop() {
        while (!Thread.currentThread().isInterrupted()) {
            beat();
            try {
                Thread.sleep(interval);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * One round: registers if the host is not registered yet or the tracker has forgotten it
     * (its heartbeat answers 404), else heartbeats; a failure is logged once until one succeeds.
     */
    void beat() {
        try {
            if (!registered || !tracker.heartbeat(host)) {
                tracker.register(host, apiUrl, peerPort);
                if (!registered) {
                    log.info("registered with the tracker as host {} (api {}, peer port {})", host, apiUrl, peerPort);
                }
                registered = true;
            }
            if (failing) {
                log.info("tracker reachable again");
                failing = false;
            }
        } catch (IOException | RuntimeException e) {
            if (!failing) {
                log.warn("tracker unreachable, will keep trying every {}: {}", interval, e.getMessage());
                failing = true;
            }
        }
    }

    /** Stops heartbeating (the tracker forgets the host when its heartbeats stop). Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
