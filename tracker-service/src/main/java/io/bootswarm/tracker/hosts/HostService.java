package io.bootswarm.tracker.hosts;

import io.bootswarm.common.web.ProblemException;
import io.bootswarm.tracker.TrackerProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The host registry: node agents register their host and heartbeat; a host whose last heartbeat
 * is older than {@code bootswarm.tracker.host-timeout} is {@link HostState#DOWN}. Hosts are kept
 * in PostgreSQL, so they survive a tracker restart.
 */
@Service
public class HostService {

    private static final Logger log = LoggerFactory.getLogger(HostService.class);

    private final HostRepository hosts;
    private final Clock clock;
    private final TrackerProperties properties;

    HostService(HostRepository hosts, Clock clock, TrackerProperties properties) {
        this.hosts = hosts;
        this.clock = clock;
        this.properties = properties;
    }

    /** Inserts or updates a host; registering counts as a heartbeat. */
    @Transactional
    public HostView register(String name, String apiUrl, String peerHost, int peerPort) {
        HostEntity before = hosts.findById(name).orElse(null);
        hosts.upsert(name, apiUrl, peerHost, peerPort, clock.instant().truncatedTo(ChronoUnit.MICROS));
        HostEntity after = hosts.findById(name).orElseThrow();
        if (before == null) {
            log.info("host {} registered: api {}, peer {}:{}", name, apiUrl, peerHost, peerPort);
        } else if (!before.apiUrl().equals(apiUrl) || !before.peerHost().equals(peerHost) || before.peerPort() != peerPort) {
            log.info("host {} re-registered with new addresses: api {}, peer {}:{}", name, apiUrl, peerHost, peerPort);
        }
        return view(after, clock.instant());
    }

    /**
     * Records a heartbeat.
     *
     * @throws ProblemException 404 when the host is not registered (the agent then registers again)
     */
    @Transactional
    public void heartbeat(String name) {
        if (hosts.heartbeat(name, clock.instant().truncatedTo(ChronoUnit.MICROS)) == 0) {
            throw unknown(name);
        }
    }

    /** @throws ProblemException 404 when the host is not registered */
    @Transactional(readOnly = true)
    public HostView get(String name) {
        return hosts.findById(name).map(h -> view(h, clock.instant())).orElseThrow(() -> unknown(name));
    }

    /** Every registered host, by name. */
    @Transactional(readOnly = true)
    public List<HostView> list() {
        Instant now = clock.instant();
        return hosts.findAllByOrderByNameAsc().stream().map(h -> view(h, now)).toList();
    }

    /** The registered hosts among {@code names}, by name; names not registered are absent. */
    @Transactional(readOnly = true)
    public Map<String, HostView> find(Collection<String> names) {
        Instant now = clock.instant();
        return hosts.findByNameIn(names).stream().map(h -> view(h, now))
                .collect(Collectors.toMap(HostView::name, Function.identity()));
    }

    /** The state of a host whose last heartbeat was at {@code lastHeartbeat}. */
    HostState stateAt(Instant lastHeartbeat, Instant now) {
        return lastHeartbeat.plus(properties.hostTimeout()).isAfter(now) ? HostState.UP : HostState.DOWN;
    }

    private HostView view(HostEntity h, Instant now) {
        return new HostView(h.name(), h.apiUrl(), h.peerHost(), h.peerPort(), stateAt(h.lastHeartbeat(), now),
                h.lastHeartbeat(), h.registeredAt());
    }

    private static ProblemException unknown(String name) {
        return ProblemException.notFound("unknown-host", "no host named '" + name + "' is registered")
                .with("host", name);
    }
}
