package io.bootswarm.tracker.hosts;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

/**
 * When a host is UP and DOWN, on a clock the test moves: UP while its last heartbeat is younger than
 * the host timeout (3 s here), DOWN from the moment it is not, UP again with the next heartbeat; the
 * sweep's gauges follow.
 */
class HostLivenessTest {

    private final ManualClock clock = new ManualClock();
    private final TrackerProperties properties = new Binder(new MapConfigurationPropertySource(Map.of(
            "bootswarm.tracker.host-timeout", "3s"))).bindOrCreate("bootswarm.tracker", TrackerProperties.class);
    private final HostRepository hosts = mock(HostRepository.class);
    private final HostService service = new HostService(hosts, clock, properties);

    @Test
    void heartbeatsKeepAHostUpPastTheTimeoutAndItGoesDownExactlyWhenTheyStop() {
        Instant last = clock.instant();
        for (int i = 0; i < 8; i++) { // 4 s of heartbeats every 500 ms: past the 3 s timeout
            clock.advance(Duration.ofMillis(500));
            assertThat(service.stateAt(last, clock.instant())).isEqualTo(HostState.UP);
            last = clock.instant();
        }

        clock.advance(Duration.ofSeconds(3).minusNanos(1));
        assertThat(service.stateAt(last, clock.instant())).as("just before the timeout").isEqualTo(HostState.UP);
        clock.advance(Duration.ofNanos(1));
        assertThat(service.stateAt(last, clock.instant())).as("at the timeout").isEqualTo(HostState.DOWN);
        clock.advance(Duration.ofHours(1));
        assertThat(service.stateAt(last, clock.instant())).isEqualTo(HostState.DOWN);

        last = clock.instant();
        assertThat(service.stateAt(last, clock.instant())).as("with the next heartbeat").isEqualTo(HostState.UP);
    }

    @Test
    void theSweepCountsHostsByTheirStateNow() {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        HostMonitor monitor = new HostMonitor(hosts, service, clock, meters);
        Instant t0 = clock.instant();
        List<Object[]> rows = new ArrayList<>();
        rows.add(new Object[] {"a", t0});
        rows.add(new Object[] {"b", t0.plusSeconds(2)});
        when(hosts.liveness()).thenReturn(rows);

        monitor.check();
        assertThat(gauge(meters, "up")).isEqualTo(2);
        assertThat(gauge(meters, "down")).isZero();

        clock.advance(Duration.ofSeconds(3));
        monitor.check();
        assertThat(gauge(meters, "up")).as("b heard from 2 s later").isEqualTo(1);
        assertThat(gauge(meters, "down")).isEqualTo(1);

        clock.advance(Duration.ofSeconds(2));
        monitor.check();
        assertThat(gauge(meters, "down")).isEqualTo(2);
    }

    private static double gauge(SimpleMeterRegistry meters, String state) {
        return meters.get("bootswarm.tracker.hosts").tag("state", state).gauge().value();
    }
}
