package io.bootswarm.tracker.swarm;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.seeds.SeedRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SwarmRegistryTest {

    private static final SwarmId SWARM = SwarmId.parse("00112233445566778899aabbccddeeff00112233");
    private static final SwarmId OTHER_SWARM = SwarmId.parse("ffeeddccbbaa99887766554433221100ffeeddcc");

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    // announce interval 30 s (peers expire after 60 s), seeds after 20 s, numWant default 3, max 5
    private final TrackerProperties properties = new TrackerProperties(Duration.ofSeconds(20), null,
            Duration.ofSeconds(30), 3, 5, null, null, null, null, 0, 0, null, null, null, null, null);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private static final SwarmId THIRD_SWARM = SwarmId.parse("0123456789abcdef0123456789abcdef01234567");
    private SeedRegistry seeds;
    private SwarmRegistry swarms;
    /** What seed-service would say: SWARM shares pieces with OTHER_SWARM (most) and THIRD_SWARM. */
    private final java.util.Map<SwarmId, List<RelatedSwarms.Related>> related = new java.util.HashMap<>();

    @BeforeEach
    void setUp() {
        seeds = new SeedRegistry(clock, properties, meters, io.bootswarm.tracker.replica.ReplicaPublisher.NONE);
        swarms = new SwarmRegistry(seeds, clock, properties, meters, s -> related.getOrDefault(s, List.of()), io.bootswarm.tracker.replica.ReplicaPublisher.NONE);
    }

    private static String peerId(int n) {
        byte[] id = new byte[20];
        id[19] = (byte) n;
        return HexFormat.of().formatHex(id);
    }

    private AnnounceResult announce(SwarmId swarm, int n, long left, AnnounceEvent event, int numWant) {
        return swarms.announce(new Announce(swarm, peerId(n), "10.0.0." + n, 6000 + n, left, 0, 0, event, numWant),
                "test");
    }

    private AnnounceResult announce(int n) {
        return announce(SWARM, n, 100, AnnounceEvent.NONE, -1);
    }

    private static List<String> ids(AnnounceResult r) {
        return r.peers().stream().map(SwarmPeer::peerId).toList();
    }

    @Test
    void answersOtherPeersOfTheSameSwarmButNeverTheAsker() {
        announce(1);
        announce(2);
        announce(OTHER_SWARM, 9, 100, AnnounceEvent.STARTED, -1);

        AnnounceResult r = announce(3);

        assertThat(ids(r)).containsExactlyInAnyOrder(peerId(1), peerId(2));
        assertThat(r.peers()).allSatisfy(p -> assertThat(p.seed()).isFalse());
        assertThat(r.peers()).extracting(SwarmPeer::host).containsExactlyInAnyOrder("10.0.0.1", "10.0.0.2");
        assertThat(r.peers()).extracting(SwarmPeer::port).containsExactlyInAnyOrder(6001, 6002);
        assertThat(r.interval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(r.incomplete()).isEqualTo(3);
        assertThat(r.complete()).isZero();
    }

    @Test
    void aPeerWithNothingLeftIsAnnouncedAsSeed() {
        announce(SWARM, 1, 0, AnnounceEvent.COMPLETED, -1);
        AnnounceResult r = announce(2);
        assertThat(r.peers()).singleElement().satisfies(p -> {
            assertThat(p.peerId()).isEqualTo(peerId(1));
            assertThat(p.seed()).isTrue();
        });
        assertThat(r.complete()).isEqualTo(1);
        assertThat(r.incomplete()).isEqualTo(1);
    }

    @Test
    void numWantLimitsSwarmPeersAndDefaultsAndIsCapped() {
        for (int i = 1; i <= 8; i++) {
            announce(i);
        }
        assertThat(announce(SWARM, 20, 100, AnnounceEvent.NONE, 2).peers()).hasSize(2);
        assertThat(announce(SWARM, 20, 100, AnnounceEvent.NONE, 0).peers()).isEmpty();
        assertThat(announce(SWARM, 20, 100, AnnounceEvent.NONE, -1).peers()).hasSize(3); // default
        assertThat(announce(SWARM, 20, 100, AnnounceEvent.NONE, 1000).peers()).hasSize(5); // max
        assertThat(announce(SWARM, 20, 100, AnnounceEvent.NONE, 1000).peers())
                .extracting(SwarmPeer::peerId).doesNotHaveDuplicates().doesNotContain(peerId(20));
    }

    @Test
    void everyLiveSeedIsIncludedFirstAndOnTopOfNumWant() {
        seeds.register("seed-a", "10.9.0.1", 6881, "http://10.9.0.1:8081");
        seeds.register("seed-b", "10.9.0.2", 6881, "http://10.9.0.2:8081");
        for (int i = 1; i <= 4; i++) {
            announce(i);
        }

        AnnounceResult r = announce(SWARM, 10, 100, AnnounceEvent.STARTED, 1);

        assertThat(r.peers()).hasSize(3);
        assertThat(r.peers().subList(0, 2)).extracting(SwarmPeer::peerId).containsExactlyInAnyOrder("seed-a", "seed-b");
        assertThat(r.peers().subList(0, 2)).allSatisfy(p -> assertThat(p.seed()).isTrue());
        assertThat(r.peers().get(2).seed()).isFalse();
        assertThat(announce(SWARM, 10, 100, AnnounceEvent.NONE, 0).peers()).extracting(SwarmPeer::peerId)
                .containsExactlyInAnyOrder("seed-a", "seed-b");
        // a swarm no agent is in yet still gets the seeds
        assertThat(announce(OTHER_SWARM, 1, 100, AnnounceEvent.STARTED, -1).peers()).extracting(SwarmPeer::peerId)
                .containsExactlyInAnyOrder("seed-a", "seed-b");
        assertThat(r.complete()).isEqualTo(2);
    }

    @Test
    void aSeedThatAlsoAnnouncesIsListedOnceAndNotToItself() {
        seeds.register("seed-a", "10.0.0.7", 6007, "http://10.0.0.7:8081");
        announce(SWARM, 7, 0, AnnounceEvent.STARTED, -1); // the seed's own announce, same address
        AnnounceResult r = announce(1);
        assertThat(ids(r)).containsExactly("seed-a");
        assertThat(r.complete()).isEqualTo(1);

        AnnounceResult toSeed = announce(SWARM, 7, 0, AnnounceEvent.NONE, -1);
        assertThat(ids(toSeed)).containsExactly(peerId(1));
    }

    @Test
    void seedsThatStopRegisteringDropOut() {
        seeds.register("seed-a", "10.9.0.1", 6881, "http://10.9.0.1:8081");
        clock.advance(Duration.ofSeconds(19));
        assertThat(ids(announce(1))).containsExactly("seed-a");
        clock.advance(Duration.ofSeconds(2));
        assertThat(ids(announce(1))).isEmpty();
        assertThat(seeds.live()).isEmpty();
    }

    @Test
    void peersThatDoNotReannounceWithinTwiceTheIntervalVanish() {
        announce(1);
        clock.advance(Duration.ofSeconds(40));
        announce(2);
        clock.advance(Duration.ofSeconds(19)); // peer 1 last seen 59 s ago: still live
        assertThat(ids(announce(3))).containsExactlyInAnyOrder(peerId(1), peerId(2));
        clock.advance(Duration.ofSeconds(2)); // 61 s: gone
        assertThat(ids(announce(3))).containsExactlyInAnyOrder(peerId(2));
        assertThat(swarms.size(SWARM)).isEqualTo(2);

        swarms.sweep();
        assertThat(swarms.size(SWARM)).isEqualTo(2);
        clock.advance(Duration.ofSeconds(61));
        swarms.sweep();
        assertThat(swarms.size(SWARM)).isZero();
        assertThat(meters.get("bootswarm.tracker.swarms").gauge().value()).isZero();
    }

    @Test
    void reannouncingKeepsAPeerAliveAndUpdatesIt() {
        announce(SWARM, 1, 100, AnnounceEvent.STARTED, -1);
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofSeconds(50));
            announce(SWARM, 1, 50 - i * 10, AnnounceEvent.NONE, -1);
        }
        announce(SWARM, 1, 0, AnnounceEvent.COMPLETED, -1);
        AnnounceResult r = announce(2);
        assertThat(r.peers()).singleElement().satisfies(p -> assertThat(p.seed()).isTrue());
    }

    @Test
    void stoppedRemovesThePeerAtOnceAndAnswersNoPeers() {
        announce(1);
        announce(2);
        AnnounceResult stopped = announce(SWARM, 1, 100, AnnounceEvent.STOPPED, -1);
        assertThat(stopped.peers()).isEmpty();
        assertThat(ids(announce(3))).containsExactlyInAnyOrder(peerId(2));
        assertThat(swarms.size(SWARM)).isEqualTo(2);

        announce(SWARM, 2, 100, AnnounceEvent.STOPPED, -1);
        announce(SWARM, 3, 100, AnnounceEvent.STOPPED, -1);
        assertThat(swarms.size(SWARM)).isZero();
        // stopping a peer the tracker never saw is harmless
        assertThat(announce(SWARM, 4, 100, AnnounceEvent.STOPPED, -1).peers()).isEmpty();
    }

    @Test
    void countsAnnouncesByProtocolAndEvent() {
        announce(SWARM, 1, 100, AnnounceEvent.STARTED, -1);
        announce(1);
        announce(1);
        assertThat(meters.get("bootswarm.tracker.announces").tags("protocol", "test", "event", "started").counter()
                .count()).isEqualTo(1);
        assertThat(meters.get("bootswarm.tracker.announces").tags("protocol", "test", "event", "none").counter()
                .count()).isEqualTo(2);
    }

    @Test
    void rejectsImpossibleAnnounces() {
        assertThatThrownBy(() -> new Announce(SWARM, peerId(1), "h", 0, 0, 0, 0, AnnounceEvent.NONE, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Announce(SWARM, peerId(1), "h", 1, -1, 0, 0, AnnounceEvent.NONE, -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> AnnounceEvent.parse("bogus")).isInstanceOf(IllegalArgumentException.class);
        assertThat(AnnounceEvent.parse("")).isEqualTo(AnnounceEvent.NONE);
        assertThat(AnnounceEvent.parse("stopped")).isEqualTo(AnnounceEvent.STOPPED);
    }

    private AnnounceResult announceJson(SwarmId swarm, int n, int numWant) {
        return swarms.announce(new Announce(swarm, peerId(n), "10.0.0." + n, 6000 + n, 100, 0, 0, AnnounceEvent.NONE,
                numWant), "test", true);
    }

    @Test
    void crossImagePeersFillTheRoomTheSwarmsOwnPeersLeave() {
        related.put(SWARM, List.of(new RelatedSwarms.Related(OTHER_SWARM, 90), new RelatedSwarms.Related(THIRD_SWARM, 5)));
        announce(SWARM, 1, 100, AnnounceEvent.STARTED, -1);
        announce(OTHER_SWARM, 11, 0, AnnounceEvent.COMPLETED, -1);
        announce(OTHER_SWARM, 12, 100, AnnounceEvent.STARTED, -1);
        announce(THIRD_SWARM, 21, 100, AnnounceEvent.STARTED, -1);
        // a host in both swarms is listed once, as a peer of the asked swarm
        announce(OTHER_SWARM, 1, 100, AnnounceEvent.STARTED, -1);

        AnnounceResult r = announceJson(SWARM, 2, 5);
        assertThat(ids(r)).startsWith(peerId(1)).hasSize(4);
        assertThat(r.peers().getFirst().crossImage()).isFalse();
        // the most related swarm's peers come first, in any order among themselves
        assertThat(ids(r).subList(1, 3)).containsExactlyInAnyOrder(peerId(11), peerId(12));
        assertThat(ids(r).get(3)).isEqualTo(peerId(21));
        assertThat(r.peers().subList(1, 4)).allSatisfy(p -> {
            assertThat(p.crossImage()).isTrue();
            // a complete peer of another image is no seed of this one
            assertThat(p.seed()).isFalse();
        });
        assertThat(r.peers().get(3).crossSwarm()).isEqualTo(THIRD_SWARM);
        // the swarm's own counts stay its own
        assertThat(r.incomplete()).isEqualTo(2);
        assertThat(r.complete()).isZero();

        // numWant bounds own and cross-image peers together, own first
        assertThat(ids(announceJson(SWARM, 2, 2))).hasSize(2).startsWith(peerId(1));
        assertThat(announceJson(SWARM, 2, 2).peers().get(1).crossSwarm()).isEqualTo(OTHER_SWARM);
        assertThat(ids(announceJson(SWARM, 2, 1))).containsExactly(peerId(1));
        assertThat(announceJson(SWARM, 2, 0).peers()).isEmpty();

        // cross-image peers expire like any other
        clock.advance(Duration.ofSeconds(61));
        announce(SWARM, 1, 100, AnnounceEvent.NONE, -1);
        assertThat(ids(announceJson(SWARM, 2, 5))).containsExactly(peerId(1));

        // the BitTorrent announce never hands them out
        announce(OTHER_SWARM, 11, 0, AnnounceEvent.NONE, -1);
        assertThat(ids(announce(SWARM, 2, 100, AnnounceEvent.NONE, 5))).containsExactly(peerId(1));
        assertThat(ids(announceJson(SWARM, 2, 5))).containsExactly(peerId(1), peerId(11));
    }

    private AnnounceResult announceAt(SwarmId swarm, int n, String host, long left, int numWant) {
        String id = "%040x".formatted(n);
        return swarms.announce(new Announce(swarm, id, host, 6000 + n % 1000, left, 0, 0, AnnounceEvent.NONE, numWant),
                "test");
    }

    @Test
    void aLargeSwarmAnswersNumWantDistinctLivePeersAndExactCounts() {
        seeds.register("seed-a", "10.1.0.1", 6000, "http://10.1.0.1:8081");
        announceAt(SWARM, 1_000_000, "10.1.0.1", 0, -1); // the seed announcing itself
        for (int n = 0; n < 3000; n++) {
            announceAt(SWARM, n, "10.2." + (n / 250) + "." + (n % 250), n % 3 == 0 ? 0 : 100, -1);
            if (n == 999) {
                clock.advance(Duration.ofSeconds(30));
                seeds.register("seed-a", "10.1.0.1", 6000, "http://10.1.0.1:8081"); // seeds live 20 s here
            }
        }
        AnnounceResult r = announceAt(SWARM, 5, "10.2.0.5", 100, 5); // a re-announce
        assertThat(r.peers().getFirst().peerId()).isEqualTo("seed-a");
        List<SwarmPeer> others = r.peers().subList(1, r.peers().size());
        assertThat(others).hasSize(5).extracting(SwarmPeer::peerId).doesNotHaveDuplicates()
                .doesNotContain("%040x".formatted(5), "%040x".formatted(1_000_000));
        assertThat(r.complete()).isEqualTo(1 + 1000);
        assertThat(r.incomplete()).isEqualTo(2000);

        clock.advance(Duration.ofSeconds(31)); // the first 1000 (but the re-announced one) and the seed's own are gone
        seeds.register("seed-a", "10.1.0.1", 6000, "http://10.1.0.1:8081");
        r = announceAt(SWARM, 5000, "10.3.0.1", 100, 5);
        assertThat(r.peers().subList(1, r.peers().size())).hasSize(5).allSatisfy(p ->
                assertThat(Integer.parseInt(p.peerId(), 16)).satisfiesAnyOf(n -> assertThat(n).isBetween(1000, 2999),
                        n -> assertThat(n).isEqualTo(5)));
        assertThat(swarms.size(SWARM)).isEqualTo(2000 + 1 + 1);
        assertThat(r.complete() + r.incomplete()).isEqualTo(1 + 2000 + 1 + 1);
    }

    @Test
    void peersBehindTheAskersAddressAreNotHandedOut() {
        for (int n = 0; n < 2000; n++) {
            swarms.announce(new Announce(SWARM, "%040x".formatted(n), "10.4.0.1", 6881, 100, 0, 0,
                    AnnounceEvent.NONE, -1), "test");
        }
        AnnounceResult alone = swarms.announce(new Announce(SWARM, "%040x".formatted(1), "10.4.0.1", 6881, 100, 0, 0,
                AnnounceEvent.NONE, 5), "test");
        assertThat(alone.peers()).isEmpty();
        assertThat(alone.incomplete()).isEqualTo(2000);

        swarms.announce(new Announce(SWARM, "%040x".formatted(9999), "10.4.0.2", 6881, 100, 0, 0,
                AnnounceEvent.NONE, -1), "test");
        AnnounceResult r = swarms.announce(new Announce(SWARM, "%040x".formatted(1), "10.4.0.1", 6881, 100, 0, 0,
                AnnounceEvent.NONE, 5), "test");
        assertThat(ids(r)).containsExactly("%040x".formatted(9999));
        assertThat(r.incomplete()).isEqualTo(2001);
    }
}
