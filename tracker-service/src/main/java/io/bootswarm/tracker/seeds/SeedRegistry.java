package io.bootswarm.tracker.seeds;

import io.bootswarm.tracker.TrackerProperties;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.bootswarm.tracker.replica.ReplicaPublisher;
import io.bootswarm.tracker.replica.ReplicaSink;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The live seeds, in memory: a seed is live while it re-registers within
 * {@code bootswarm.tracker.seed-ttl}. Seeds hold every image, so the swarm registry adds them to
 * every peer list, and the launch API asks one of them whether an image exists. A registration is shared with
 * the other tracker replicas ({@code seed/<id>}), so a seed whose heartbeats reach one replica is live on all.
 */
@Component
public class SeedRegistry implements ReplicaSink {

    /** The key prefix of seed entries in the shared swarm view. */
    static final String SEED_PREFIX = "seed/";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A seed as the shared swarm view carries it; {@code seen} in epoch milliseconds. */
    record SeedRecord(String peerHost, int peerPort, String apiUrl, long seen) {
    }

    private static final Logger log = LoggerFactory.getLogger(SeedRegistry.class);

    private final ConcurrentMap<String, Seed> seeds = new ConcurrentHashMap<>();
    private final Clock clock;
    private final TrackerProperties properties;
    private final ReplicaPublisher replicas;

    public SeedRegistry(Clock clock, TrackerProperties properties, MeterRegistry meters, ReplicaPublisher replicas) {
        this.replicas = replicas;
        this.clock = clock;
        this.properties = properties;
        Gauge.builder("bootswarm.tracker.seeds", this, r -> r.live().size())
                .description("live registered seeds").register(meters);
    }

    /** Registers or refreshes a seed. */
    public Seed register(String id, String peerHost, int peerPort, String apiUrl) {
        Seed seed = new Seed(id, peerHost, peerPort, apiUrl, clock.instant());
        Seed before = seeds.put(id, seed);
        replicas.put(SEED_PREFIX + id, JSON.writeValueAsString(
                new SeedRecord(peerHost, peerPort, apiUrl, seed.lastSeen().toEpochMilli())));
        if (before == null || !isLive(before, seed.lastSeen())) {
            log.info("seed {} is live: peer {}:{}, api {}", id, peerHost, peerPort, apiUrl);
        } else if (!before.peerHost().equals(peerHost) || before.peerPort() != peerPort || !before.apiUrl().equals(apiUrl)) {
            log.info("seed {} moved: peer {}:{}, api {}", id, peerHost, peerPort, apiUrl);
        }
        return seed;
    }

    @Override
    public String prefix() {
        return SEED_PREFIX;
    }

    /** Applies another replica's registration of seed {@code seed/<id>}, unless this one has heard from it since. */
    @Override
    public void apply(String key, @Nullable String value, Instant written) {
        if (value == null) {
            return;
        }
        String id = key.substring(SEED_PREFIX.length());
        SeedRecord r = JSON.readValue(value, SeedRecord.class);
        Seed seed = new Seed(id, r.peerHost(), r.peerPort(), r.apiUrl(), Instant.ofEpochMilli(r.seen()));
        if (!isLive(seed, clock.instant())) {
            return;
        }
        Seed kept = seeds.merge(id, seed, (old, now) -> old.lastSeen().isBefore(now.lastSeen()) ? now : old);
        if (kept == seed) {
            log.debug("seed {} registered with another tracker replica: peer {}:{}", id, r.peerHost(), r.peerPort());
        }
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
