package io.bootswarm.tracker.launch;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Ends launches that never got going: every {@code deadline-sweep-interval}, each host of a launch created more
 * than {@link LaunchProperties#deadline()} ago that is still PENDING or PREPARING (its agent never answered, or
 * never got past setting the disk up) becomes FAILED with a detail starting {@code deadline}. One conditional
 * UPDATE does it, so that any number of tracker replicas may sweep at once: a row fails once, and a status report
 * applied meanwhile (which locks the row) is never overwritten unless it left the row PENDING or PREPARING. The
 * row keeps the sequence of its last report, so a later report of the agent still applies. Counted in
 * {@code bootswarm.tracker.launch.deadline.expired} (hosts).
 */
@Component
class LaunchDeadlines {

    private static final Logger log = LoggerFactory.getLogger(LaunchDeadlines.class);
    private static final List<HostLaunchState> UNFINISHED = List.of(HostLaunchState.PENDING, HostLaunchState.PREPARING);

    private final LaunchHostRepository launchHosts;
    private final LaunchProperties properties;
    private final Clock clock;
    private final TransactionTemplate tx;
    private final Counter expired;

    LaunchDeadlines(LaunchHostRepository launchHosts, LaunchProperties properties, Clock clock,
                    PlatformTransactionManager txManager, MeterRegistry meters) {
        this.launchHosts = launchHosts;
        this.properties = properties;
        this.clock = clock;
        this.tx = new TransactionTemplate(txManager);
        this.expired = Counter.builder("bootswarm.tracker.launch.deadline.expired")
                .description("launch hosts failed because they were not ready by the launch deadline").register(meters);
    }

    /**
     * Fails every host overdue now.
     *
     * @return how many hosts this call failed
     */
    @Scheduled(fixedDelayString = "${bootswarm.tracker.launch.deadline-sweep-interval:30s}")
    int sweep() {
        Instant now = clock.instant().truncatedTo(ChronoUnit.MICROS);
        Instant cutoff = now.minus(properties.deadline());
        String detail = "deadline: not ready within " + properties.deadline() + " of the launch";
        Integer failed = tx.execute(status -> launchHosts.failCreatedBefore(cutoff, UNFINISHED, HostLaunchState.FAILED,
                detail, now));
        int n = failed == null ? 0 : failed;
        if (n > 0) {
            expired.increment(n);
            log.warn("{} launch hosts still pending or preparing {} after their launch marked FAILED", n,
                    properties.deadline());
        }
        return n;
    }
}
