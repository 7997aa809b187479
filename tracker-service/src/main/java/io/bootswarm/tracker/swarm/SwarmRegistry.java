package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.seeds.Seed;
import io.bootswarm.tracker.seeds.SeedRegistry;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Live swarm membership, in memory: per swarm, the peers that announced within twice the
 * announce interval. A {@code stopped} announce removes its peer at once; others expire. Every
 * live registered seed is added to every answer, because seeds hold every image. Both the JSON and
 * the BitTorrent announce share this state.
 *
 * <p>Cross-image peers (Wu et al.): when the swarm's own peers leave room under numWant, the JSON
 * announce fills it with live peers of the swarms whose images share pieces with this one
 * ({@link RelatedSwarms}, most shared first), marked with their own swarm. They serve the pieces of
 * this image they hold to a peer that dials them with this swarm's id. The BitTorrent announce does
 * not hand them out: a stock client would take them for peers of its torrent that have nothing.
 */
@Component
class SwarmRegistry {

    private record PeerEntry(String peerId, String host, int port, long left, Instant lastSeen) {
    }

    private final ConcurrentMap<SwarmId, ConcurrentMap<String, PeerEntry>> swarms = new ConcurrentHashMap<>();
    private final SeedRegistry seeds;
    private final Clock clock;
    private final TrackerProperties properties;
    private final MeterRegistry meters;
    private final MultiGauge swarmSizes;
    private final RelatedSwarms related;

    SwarmRegistry(SeedRegistry seeds, Clock clock, TrackerProperties properties, MeterRegistry meters,
                  RelatedSwarms related) {
        this.related = related;
        this.seeds = seeds;
        this.clock = clock;
        this.properties = properties;
        this.meters = meters;
        Gauge.builder("bootswarm.tracker.swarms", swarms, Map::size).description("swarms with live peers")
                .register(meters);
        this.swarmSizes = MultiGauge.builder("bootswarm.tracker.swarm.peers")
                .description("live peers per swarm (registered seeds not counted)").register(meters);
    }

    /** An announce answered with the swarm's own peers only (the BitTorrent announce). */
    AnnounceResult announce(Announce a, String protocol) {
        return announce(a, protocol, false);
    }

    /**
     * An announce; with {@code crossImage}, room left under numWant after the swarm's own peers goes
     * to live peers of related swarms.
     */
    AnnounceResult announce(Announce a, String protocol, boolean crossImage) {
        Counter.builder("bootswarm.tracker.announces").description("announces answered")
                .tags("protocol", protocol, "event", a.event().tag()).register(meters).increment();
        Instant now = clock.instant();
        Instant horizon = now.minus(properties.peerExpiry());
        ConcurrentMap<String, PeerEntry> swarm;
        if (a.event() == AnnounceEvent.STOPPED) {
            swarm = swarms.computeIfPresent(a.swarm(), (id, peers) -> {
                peers.remove(a.peerId());
                return peers.isEmpty() ? null : peers;
            });
        } else {
            PeerEntry entry = new PeerEntry(a.peerId(), a.host(), a.port(), a.left(), now);
            swarm = swarms.compute(a.swarm(), (id, peers) -> {
                ConcurrentMap<String, PeerEntry> p = peers == null ? new ConcurrentHashMap<>() : peers;
                p.put(a.peerId(), entry);
                return p;
            });
        }
        List<PeerEntry> live = swarm == null ? List.of()
                : swarm.values().stream().filter(p -> p.lastSeen().isAfter(horizon)).toList();

        List<SwarmPeer> answer = new ArrayList<>();
        Set<String> seedAddresses = new HashSet<>();
        for (Seed s : seeds.live()) {
            String address = address(s.peerHost(), s.peerPort());
            if (seedAddresses.add(address) && !address.equals(address(a.host(), a.port()))) {
                answer.add(new SwarmPeer(s.id(), s.peerHost(), s.peerPort(), true));
            }
        }
        int complete = seedAddresses.size();
        int incomplete = 0;
        List<PeerEntry> others = new ArrayList<>();
        for (PeerEntry p : live) {
            if (seedAddresses.contains(address(p.host(), p.port()))) {
                continue; // a seed that also announces itself: listed once, as a seed
            }
            if (p.left() == 0) {
                complete++;
            } else {
                incomplete++;
            }
            if (!p.peerId().equals(a.peerId()) && !address(p.host(), p.port()).equals(address(a.host(), a.port()))) {
                others.add(p);
            }
        }
        if (a.event() != AnnounceEvent.STOPPED) {
            int want = a.numWant() < 0 ? properties.defaultNumWant() : Math.min(a.numWant(), properties.maxNumWant());
            if (others.size() > want) {
                Collections.shuffle(others, ThreadLocalRandom.current());
                others = others.subList(0, want);
            }
            for (PeerEntry p : others) {
                answer.add(new SwarmPeer(p.peerId(), p.host(), p.port(), p.left() == 0));
            }
            if (crossImage && others.size() < want) {
                addCrossImagePeers(a, want - others.size(), horizon, answer);
            }
        } else {
            answer.clear();
        }
        return new AnnounceResult(properties.announceInterval(), List.copyOf(answer), complete, incomplete);
    }

    /**
     * Adds up to {@code room} live peers of the swarms related to the announce's, most shared swarm
     * first (randomly within a swarm), skipping the asker and any address already in the answer.
     */
    private void addCrossImagePeers(Announce a, int room, Instant horizon, List<SwarmPeer> answer) {
        Set<String> taken = new HashSet<>();
        taken.add(address(a.host(), a.port()));
        answer.forEach(p -> taken.add(address(p.host(), p.port())));
        int added = 0;
        for (RelatedSwarms.Related r : related.of(a.swarm())) {
            ConcurrentMap<String, PeerEntry> peers = swarms.get(r.swarm());
            if (peers == null) {
                continue;
            }
            List<PeerEntry> live = new ArrayList<>(peers.values().stream()
                    .filter(p -> p.lastSeen().isAfter(horizon) && !p.peerId().equals(a.peerId())).toList());
            Collections.shuffle(live, ThreadLocalRandom.current());
            for (PeerEntry p : live) {
                if (added == room) {
                    return;
                }
                if (taken.add(address(p.host(), p.port()))) {
                    answer.add(new SwarmPeer(p.peerId(), p.host(), p.port(), false, r.swarm()));
                    added++;
                }
            }
        }
    }

    /** Live peer count of a swarm (seeds not counted); 0 for a swarm no one is in. */
    int size(SwarmId swarm) {
        Instant horizon = clock.instant().minus(properties.peerExpiry());
        ConcurrentMap<String, PeerEntry> peers = swarms.get(swarm);
        return peers == null ? 0 : (int) peers.values().stream().filter(p -> p.lastSeen().isAfter(horizon)).count();
    }

    /** Drops peers that stopped announcing, and swarms left empty; refreshes the swarm-size gauges. */
    @Scheduled(fixedDelayString = "${bootswarm.tracker.sweep-interval:1s}")
    void sweep() {
        Instant horizon = clock.instant().minus(properties.peerExpiry());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (SwarmId id : List.copyOf(swarms.keySet())) {
            ConcurrentMap<String, PeerEntry> left = swarms.computeIfPresent(id, (k, peers) -> {
                peers.values().removeIf(p -> !p.lastSeen().isAfter(horizon));
                return peers.isEmpty() ? null : peers;
            });
            if (left != null) {
                rows.add(MultiGauge.Row.of(Tags.of("swarm", id.hex()), left.size()));
            }
        }
        swarmSizes.register(rows, true);
    }

    private static String address(String host, int port) {
        return host.toLowerCase(java.util.Locale.ROOT) + ":" + port;
    }
}
