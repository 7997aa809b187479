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
import io.bootswarm.tracker.replica.ReplicaPublisher;
import io.bootswarm.tracker.replica.ReplicaSink;
import org.jspecify.annotations.Nullable;
import org.springframework.scheduling.annotation.Scheduled;
import tools.jackson.databind.json.JsonMapper;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;
import java.util.random.RandomGenerator;

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
 *
 * <p>An announce costs O(numWant + seeds), not O(swarm): each swarm keeps its peers in the order they
 * were last seen (so expired ones are dropped from the front), in an array to draw random peers from,
 * and its complete/incomplete counts per address (so that seeds announcing themselves are left out of
 * the counts without a scan). A swarm's state is guarded by its own lock.
 *
 * <p>Tracker replicas share this state: each announce applied here is published ({@link ReplicaPublisher},
 * keyed {@code peer/<swarm>/<peer id>}, a tombstone for {@code stopped}) and the other replicas' are applied
 * as they arrive ({@link ReplicaSink}); of an entry and a record of one peer, the one seen last wins. Expiry
 * stays local: every replica drops a peer twice the announce interval after it was last seen anywhere.
 */
@Component
class SwarmRegistry implements ReplicaSink {

    /** The key prefix of peer entries in the shared swarm view. */
    static final String PEER_PREFIX = "peer/";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** A peer entry as the shared swarm view carries it; {@code seen} in epoch milliseconds. */
    record PeerRecord(String host, int port, long left, long seen) {
    }

    private record PeerEntry(String peerId, String host, int port, long left, Instant lastSeen, String address) {
    }

    /** A peer's place in its swarm: the entry and its index in {@link Swarm#slots}. */
    private static final class Node {
        PeerEntry entry;
        int slot;

        Node(PeerEntry entry, int slot) {
            this.entry = entry;
            this.slot = slot;
        }
    }

    /** One swarm's live peers; every access holds its monitor. */
    private static final class Swarm {
        /** By peer id, least recently seen first. */
        final LinkedHashMap<String, Node> byPeer = new LinkedHashMap<>();
        /** The same nodes, in no order, for drawing random ones. */
        final ArrayList<Node> slots = new ArrayList<>();
        /** Per address: how many of its peers are complete ([0]) and incomplete ([1]). */
        final HashMap<String, int[]> byAddress = new HashMap<>();
        int complete;
        int incomplete;
        /** The latest last-seen time given, so that {@link #byPeer}'s order is last-seen order. */
        Instant newest = Instant.MIN;
        /** Removed from the registry (it was empty): announces must take a new one. */
        boolean retired;

        /** When a peer seen {@code now} counts as seen: never before one seen earlier. */
        Instant seen(Instant now) {
            if (now.isAfter(newest)) {
                newest = now;
            }
            return newest;
        }

        void put(PeerEntry e) {
            Node node = byPeer.remove(e.peerId());
            if (node == null) {
                node = new Node(e, slots.size());
                slots.add(node);
            } else {
                count(node.entry, -1);
                node.entry = e;
            }
            count(e, 1);
            byPeer.put(e.peerId(), node);
        }

        void remove(String peerId) {
            Node node = byPeer.remove(peerId);
            if (node != null) {
                unslot(node);
            }
        }

        /** Drops the peers last seen at or before {@code horizon}. */
        void expire(Instant horizon) {
            Iterator<Node> it = byPeer.values().iterator();
            while (it.hasNext()) {
                Node node = it.next();
                if (node.entry.lastSeen().isAfter(horizon)) {
                    return;
                }
                it.remove();
                unslot(node);
            }
        }

        private void unslot(Node node) {
            count(node.entry, -1);
            Node last = slots.removeLast();
            if (last != node) {
                slots.set(node.slot, last);
                last.slot = node.slot;
            }
        }

        private void count(PeerEntry e, int delta) {
            int k = e.left() == 0 ? 0 : 1;
            if (k == 0) {
                complete += delta;
            } else {
                incomplete += delta;
            }
            int[] at = byAddress.computeIfAbsent(e.address(), a -> new int[2]);
            at[k] += delta;
            if (at[0] == 0 && at[1] == 0) {
                byAddress.remove(e.address());
            }
        }

        int at(String address, int k) {
            int[] at = byAddress.get(address);
            return at == null ? 0 : at[k];
        }

        /**
         * Up to {@code want} distinct random peers, none at an address of {@code excluded} nor with peer id
         * {@code except}. How many qualify is known from the counts per address; they are drawn at random
         * when they are at least half the swarm and {@code want} at most half of them (so each draw hits with
         * even odds or better), else taken from a full pass, which is then at most about 4 × {@code want}
         * long, or all of the swarm only when most of it is behind the excluded addresses.
         */
        List<PeerEntry> sample(int want, Set<String> excluded, String except, RandomGenerator random) {
            int n = slots.size();
            int ineligible = 0;
            for (String address : excluded) {
                int[] at = byAddress.get(address);
                if (at != null) {
                    ineligible += at[0] + at[1];
                }
            }
            Node own = byPeer.get(except);
            if (own != null && !excluded.contains(own.entry.address())) {
                ineligible++;
            }
            int eligible = n - ineligible;
            if (want <= 0 || eligible <= 0) {
                return List.of();
            }
            Predicate<PeerEntry> ok = p -> !excluded.contains(p.address()) && !p.peerId().equals(except);
            if (eligible * 2 >= n && want * 2 <= eligible) {
                List<PeerEntry> picked = new ArrayList<>(want);
                Set<Integer> drawn = new HashSet<>();
                for (int attempt = 0; attempt < 8 * want + 64 && picked.size() < want; attempt++) {
                    int i = random.nextInt(n);
                    if (drawn.add(i) && ok.test(slots.get(i).entry)) {
                        picked.add(slots.get(i).entry);
                    }
                }
                if (picked.size() == want) {
                    return picked;
                }
            }
            List<PeerEntry> all = new ArrayList<>();
            for (Node node : slots) {
                if (ok.test(node.entry)) {
                    all.add(node.entry);
                }
            }
            if (all.size() > want) {
                Collections.shuffle(all, random);
                return all.subList(0, want);
            }
            return all;
        }
    }

    private final ConcurrentMap<SwarmId, Swarm> swarms = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Counter> announceCounters = new ConcurrentHashMap<>();
    private final SeedRegistry seeds;
    private final Clock clock;
    private final TrackerProperties properties;
    private final MeterRegistry meters;
    private final MultiGauge swarmSizes;
    private final RelatedSwarms related;
    private final ReplicaPublisher replicas;

    SwarmRegistry(SeedRegistry seeds, Clock clock, TrackerProperties properties, MeterRegistry meters,
                  RelatedSwarms related, ReplicaPublisher replicas) {
        this.related = related;
        this.replicas = replicas;
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
        announceCounters.computeIfAbsent(protocol + '/' + a.event().tag(), k -> Counter
                .builder("bootswarm.tracker.announces").description("announces answered")
                .tags("protocol", protocol, "event", a.event().tag()).register(meters)).increment();
        Instant now = clock.instant();
        Instant horizon = now.minus(properties.peerExpiry());
        String asker = address(a.host(), a.port());

        List<SwarmPeer> answer = new ArrayList<>();
        Set<String> seedAddresses = new HashSet<>();
        for (Seed s : seeds.live()) {
            String address = address(s.peerHost(), s.peerPort());
            if (seedAddresses.add(address) && !address.equals(asker)) {
                answer.add(new SwarmPeer(s.id(), s.peerHost(), s.peerPort(), true));
            }
        }
        boolean stopped = a.event() == AnnounceEvent.STOPPED;
        int want = a.numWant() < 0 ? properties.defaultNumWant() : Math.min(a.numWant(), properties.maxNumWant());
        int complete = seedAddresses.size();
        int incomplete = 0;
        List<PeerEntry> others = List.of();
        Instant seen = now;
        while (true) {
            Swarm swarm = stopped ? swarms.get(a.swarm()) : swarms.computeIfAbsent(a.swarm(), id -> new Swarm());
            if (swarm == null) {
                break;
            }
            synchronized (swarm) {
                if (swarm.retired) {
                    continue;
                }
                if (stopped) {
                    swarm.remove(a.peerId());
                } else {
                    seen = swarm.seen(now);
                    swarm.put(new PeerEntry(a.peerId(), a.host(), a.port(), a.left(), seen, asker));
                }
                swarm.expire(horizon);
                int seedsComplete = 0;
                int seedsIncomplete = 0;
                for (String address : seedAddresses) { // a seed that also announces itself: listed once, as a seed
                    seedsComplete += swarm.at(address, 0);
                    seedsIncomplete += swarm.at(address, 1);
                }
                complete += swarm.complete - seedsComplete;
                incomplete = swarm.incomplete - seedsIncomplete;
                if (!stopped) {
                    Set<String> excluded = new HashSet<>(seedAddresses);
                    excluded.add(asker);
                    others = swarm.sample(want, excluded, a.peerId(), ThreadLocalRandom.current());
                }
                if (swarm.byPeer.isEmpty()) {
                    retire(a.swarm(), swarm);
                }
            }
            break;
        }
        String key = PEER_PREFIX + a.swarm().hex() + '/' + a.peerId();
        if (stopped) {
            replicas.remove(key);
            answer.clear();
        } else {
            replicas.put(key, JSON.writeValueAsString(new PeerRecord(a.host(), a.port(), a.left(), seen.toEpochMilli())));
            for (PeerEntry p : others) {
                answer.add(new SwarmPeer(p.peerId(), p.host(), p.port(), p.left() == 0));
            }
            if (crossImage && others.size() < want) {
                addCrossImagePeers(a, asker, want - others.size(), horizon, answer);
            }
        }
        return new AnnounceResult(properties.announceInterval(), List.copyOf(answer), complete, incomplete);
    }

    @Override
    public String prefix() {
        return PEER_PREFIX;
    }

    /** Applies another replica's announce of {@code peer/<swarm>/<peer id>}, unless this one has seen the peer since. */
    @Override
    public void apply(String key, @Nullable String value, Instant written) {
        int slash = key.indexOf('/', PEER_PREFIX.length());
        SwarmId id = SwarmId.parse(key.substring(PEER_PREFIX.length(), slash));
        String peerId = key.substring(slash + 1);
        Instant horizon = clock.instant().minus(properties.peerExpiry());
        if (value == null) {
            Swarm swarm = swarms.get(id);
            if (swarm != null) {
                synchronized (swarm) {
                    Node node = swarm.byPeer.get(peerId);
                    if (!swarm.retired && node != null && !node.entry.lastSeen().isAfter(written)) {
                        swarm.remove(peerId);
                        if (swarm.byPeer.isEmpty()) {
                            retire(id, swarm);
                        }
                    }
                }
            }
            return;
        }
        PeerRecord r = JSON.readValue(value, PeerRecord.class);
        Instant seen = Instant.ofEpochMilli(r.seen());
        if (!seen.isAfter(horizon)) {
            return;
        }
        while (true) {
            Swarm swarm = swarms.computeIfAbsent(id, k -> new Swarm());
            synchronized (swarm) {
                if (swarm.retired) {
                    continue;
                }
                Node node = swarm.byPeer.get(peerId);
                if (node == null || node.entry.lastSeen().isBefore(seen)) {
                    swarm.put(new PeerEntry(peerId, r.host(), r.port(), r.left(), swarm.seen(seen),
                            address(r.host(), r.port())));
                }
                return;
            }
        }
    }

    /** Takes an empty swarm out of the registry; the caller holds its monitor. */
    private void retire(SwarmId id, Swarm swarm) {
        swarm.retired = true;
        swarms.remove(id, swarm);
    }

    /**
     * Adds up to {@code room} live peers of the swarms related to the announce's, most shared swarm
     * first (randomly within a swarm), skipping the asker and any address already in the answer.
     */
    private void addCrossImagePeers(Announce a, String asker, int room, Instant horizon, List<SwarmPeer> answer) {
        Set<String> taken = new HashSet<>();
        taken.add(asker);
        answer.forEach(p -> taken.add(address(p.host(), p.port())));
        int added = 0;
        for (RelatedSwarms.Related r : related.of(a.swarm())) {
            if (added == room) {
                return;
            }
            Swarm swarm = swarms.get(r.swarm());
            if (swarm == null) {
                continue;
            }
            List<PeerEntry> picked;
            synchronized (swarm) {
                if (swarm.retired) {
                    continue;
                }
                swarm.expire(horizon);
                picked = swarm.sample(room - added, taken, a.peerId(), ThreadLocalRandom.current());
            }
            for (PeerEntry p : picked) {
                if (added < room && taken.add(p.address())) {
                    answer.add(new SwarmPeer(p.peerId(), p.host(), p.port(), false, r.swarm()));
                    added++;
                }
            }
        }
    }

    /** Live peer count of a swarm (seeds not counted); 0 for a swarm no one is in. */
    int size(SwarmId id) {
        Instant horizon = clock.instant().minus(properties.peerExpiry());
        Swarm swarm = swarms.get(id);
        if (swarm == null) {
            return 0;
        }
        synchronized (swarm) {
            swarm.expire(horizon);
            return swarm.byPeer.size();
        }
    }

    /** Drops peers that stopped announcing, and swarms left empty; refreshes the swarm-size gauges. */
    @Scheduled(fixedDelayString = "${bootswarm.tracker.sweep-interval:1s}")
    void sweep() {
        Instant horizon = clock.instant().minus(properties.peerExpiry());
        List<MultiGauge.Row<?>> rows = new ArrayList<>();
        for (Map.Entry<SwarmId, Swarm> e : List.copyOf(swarms.entrySet())) {
            Swarm swarm = e.getValue();
            synchronized (swarm) {
                if (swarm.retired) {
                    continue;
                }
                swarm.expire(horizon);
                if (swarm.byPeer.isEmpty()) {
                    retire(e.getKey(), swarm);
                } else {
                    rows.add(MultiGauge.Row.of(Tags.of("swarm", e.getKey().hex()), swarm.byPeer.size()));
                }
            }
        }
        swarmSizes.register(rows, true);
    }

    private static String address(String host, int port) {
        return host.toLowerCase(java.util.Locale.ROOT) + ":" + port;
    }
}
