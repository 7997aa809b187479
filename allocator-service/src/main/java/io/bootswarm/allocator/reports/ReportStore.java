package io.bootswarm.allocator.reports;

import io.bootswarm.allocator.AllocatorProperties;
import io.bootswarm.common.events.SwarmReport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The newest swarm report of every host, in memory. A report replaces the host's previous one only
 * if it is newer ({@link SwarmReport#at()}), so a redelivered, duplicated or late report changes
 * nothing; a report older than {@link AllocatorProperties#reportLifetime()} (sent by a host that has
 * since stopped, or replayed from Kafka after a restart) is not taken, and a host whose reports stop
 * drops out once its last one is that old. A report without a time, with a negative capacity or
 * dated more than that lifetime ahead is invalid. After a restart the store fills again within one
 * report interval.
 */
@Component
public class ReportStore {

    /** What happened to a report handed to {@link #accept}. */
    enum Outcome { ACCEPTED, SUPERSEDED, EXPIRED, INVALID }

    private final Map<String, SwarmReport> latest = new ConcurrentHashMap<>();
    private final AllocatorProperties properties;
    private final Clock clock;
    private final Map<Outcome, Counter> outcomes = new EnumMap<>(Outcome.class);

    ReportStore(AllocatorProperties properties, Clock clock, MeterRegistry meters) {
        this.properties = properties;
        this.clock = clock;
        for (Outcome o : Outcome.values()) {
            outcomes.put(o, Counter.builder("bootswarm.allocator.reports").tag("outcome", o.name().toLowerCase())
                    .description("swarm reports received, by outcome").register(meters));
        }
        Gauge.builder("bootswarm.allocator.hosts", this, s -> s.live().size())
                .description("hosts with a live swarm report").register(meters);
    }

    /** Takes a report (idempotent: the newest per host wins). */
    Outcome accept(SwarmReport report) {
        Outcome outcome = decide(report);
        outcomes.get(outcome).increment();
        return outcome;
    }

    private Outcome decide(SwarmReport report) {
        if (report.host() == null || report.host().isBlank() || report.uploadCapacity() < 0 || report.at() == null) {
            return Outcome.INVALID;
        }
        Instant now = clock.instant();
        // a report dated further ahead than a report's lifetime (a host with a wrong clock) would pin
        // the host's entry: every later, correct report of it would look older
        if (report.at().isAfter(now.plus(properties.reportLifetime()))) {
            return Outcome.INVALID;
        }
        if (!report.at().isAfter(now.minus(properties.reportLifetime()))) {
            return Outcome.EXPIRED;
        }
        boolean[] taken = {false};
        latest.compute(report.host(), (host, before) -> {
            if (before == null || report.at().isAfter(before.at())) {
                taken[0] = true;
                return report;
            }
            return before;
        });
        return taken[0] ? Outcome.ACCEPTED : Outcome.SUPERSEDED;
    }

    /** The live reports, one per host, ordered by host (so that problems are built in a stable order). */
    public List<SwarmReport> live() {
        Instant horizon = clock.instant().minus(properties.reportLifetime());
        latest.values().removeIf(r -> !r.at().isAfter(horizon));
        List<SwarmReport> out = new ArrayList<>(latest.values());
        out.sort(Comparator.comparing(SwarmReport::host));
        return out;
    }
}
