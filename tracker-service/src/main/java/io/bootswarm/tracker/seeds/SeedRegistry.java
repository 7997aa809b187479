package io.bootswarm.tracker.seeds;

import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The live seeds, in memory: a seed is live while it re-registers within
 * {@code bootswarm.tracker.seed-ttl}. Seeds hold every image, so the swarm registry adds them to
 * every peer list, and the launch API asks one of them whether an image exists.
 */
@Component
public class SeedRegistry {

    private static final Logger log = LoggerFactory.getLogger(SeedRegistry.class);

    private final ConcurrentMap<String, Seed> seeds = new ConcurrentHashMap<>();
    private final Clock clock;
    private final TrackerProperties properties;

    public SeedRegistry(Clock clock, TrackerProperties properties, MeterRegistry meters) {
        this.clock = clock;
        this.properties = properties;
        Gauge.builder("bootswarm.tracker.seeds", this, r -> r.live().size())
                .description("live registered seeds").register(meters);
    }

    /** Registers or refreshes a seed. */
    public Seed register(String id, String peerHost, int peerPort, String apiUrl) {
        Seed seed = new Seed(id, peerHost, peerPort, apiUrl, clock.instant());
        Seed before = seeds.put(id, seed);
        if (before == null || !isLive(before, seed.lastSeen())) {
            log.info("seed {} is live: peer {}:{}, api {}", id, peerHost, peerPort, apiUrl);
        } else if (!before.peerHost().equals(peerHost) || before.peerPort() != peerPort || !before.apiUrl().equals(apiUrl)) {
            log.info("seed {} moved: peer {}:{}, api {}", id, peerHost, peerPort, apiUrl);
        }
        return seed;
    }

    /** The live seeds, most recently seen first. */
    public List<Seed> live() {
        Instant now = clock.instant();
        return seeds.values().stream()
                .filter(s -> isLive(s, now))
                .sorted(Comparator.comparing(Seed::lastSeen).reversed().thenComparing(Seed::id))
                .toList();
    }

    /** Drops seeds that stopped re-registering. */
    @Scheduled(fixedDelayString = "${bootswarm.tracker.sweep-interval:1s}")
    public void sweep() {
        Instant now = clock.instant();
        seeds.values().removeIf(s -> {
            if (isLive(s, now)) {
                return false;
            }
            log.info("seed {} expired: not seen since {}", s.id(), s.lastSeen());
            return true;
        });
    }

    private boolean isLive(Seed s, Instant now) {
        return s.lastSeen().plus(properties.seedTtl()).isAfter(now);
    }
}
