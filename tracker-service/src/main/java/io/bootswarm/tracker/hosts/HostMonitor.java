package io.bootswarm.tracker.hosts;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Watches host heartbeats: logs each UP/DOWN change once and keeps the
 * {@code bootswarm.tracker.hosts{state=up|down}} gauges current. States themselves are derived
 * on read; this only observes them. It writes nothing and sends no event, so every tracker replica runs its own:
 * each logs the changes it sees and its gauges show the whole fleet (aggregate replicas with max, not sum).
 */
@Component
class HostMonitor {

    private static final Logger log = LoggerFactory.getLogger(HostMonitor.class);

    private final HostRepository hosts;
    private final HostService service;
    private final Clock clock;
    private final Map<String, HostState> known = new HashMap<>();
    private final AtomicInteger up = new AtomicInteger();
    private final AtomicInteger down = new AtomicInteger();
    private boolean first = true;
    private boolean failing;

    HostMonitor(HostRepository hosts, HostService service, Clock clock, MeterRegistry meters) {
        this.hosts = hosts;
        this.service = service;
        this.clock = clock;
        Gauge.builder("bootswarm.tracker.hosts", up, AtomicInteger::get).tag("state", "up")
                .description("registered hosts by state").register(meters);
        Gauge.builder("bootswarm.tracker.hosts", down, AtomicInteger::get).tag("state", "down")
                .description("registered hosts by state").register(meters);
    }

    @Scheduled(fixedDelayString = "${bootswarm.tracker.sweep-interval:1s}")
    synchronized void check() {
        List<Object[]> rows;
        try {
            rows = hosts.liveness();
        } catch (RuntimeException e) {
            if (!failing) {
                failing = true;
                log.warn("cannot read host heartbeats, host states and gauges are stale until the database answers: {}",
                        e.toString());
            }
            return;
        }
        if (failing) {
            failing = false;
            log.info("reading host heartbeats again");
        }
        Instant now = clock.instant();
        int u = 0;
        int d = 0;
        Map<String, HostState> seen = new HashMap<>();
        for (Object[] row : rows) {
            String name = (String) row[0];
            Instant last = (Instant) row[1];
            HostState state = service.stateAt(last, now);
            seen.put(name, state);
            if (state == HostState.UP) {
                u++;
            } else {
                d++;
            }
            HostState before = known.get(name);
            if (before != null && before != state) {
                if (state == HostState.DOWN) {
                    log.info("host {} is DOWN: no heartbeat for {} s", name, Duration.between(last, now).toSeconds());
                } else {
                    log.info("host {} is UP again", name);
                }
            }
        }
        known.clear();
        known.putAll(seen);
        up.set(u);
        down.set(d);
        if (first) {
            first = false;
            log.info("{} registered hosts: {} up, {} down", u + d, u, d);
        }
    }
}
