package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.replica.ReplicaPublisher;
import io.bootswarm.tracker.seeds.SeedRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two registries as two replicas: what one publishes is kept as a topic would keep it, and applied to the
 * other when the test says (so the order of writes and applications is the test's).
 */
class SwarmReplicationTest {

    private static final SwarmId SWARM = SwarmId.parse("00112233445566778899aabbccddeeff00112233");

    /** A record on the topic, with its write time. */
    private record Written(String key, String value, Instant at) {
    }

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TrackerProperties properties = new TrackerProperties(Duration.ofSeconds(20), null,
            Duration.ofSeconds(30), 3, 5, null, null, null, null, 0, 0, null, null, null, null, null);
    private final List<Written> topicA = new ArrayList<>();
    private final SwarmRegistry a = registry(topicA);
    private final SwarmRegistry b = registry(new ArrayList<>());

    private SwarmRegistry registry(List<Written> topic) {
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        ReplicaPublisher publisher = new ReplicaPublisher() {
            @Override
            public void put(String key, String value) {
                topic.add(new Written(key, value, clock.instant()));
            }

            @Override
            public void remove(String key) {
                topic.add(new Written(key, null, clock.instant()));
            }
        };
        return new SwarmRegistry(new SeedRegistry(clock, properties, meters, ReplicaPublisher.NONE), clock, properties,
                meters, s -> List.of(), publisher);
    }

    private static String peerId(int n) {
        byte[] id = new byte[20];
        id[19] = (byte) n;
        return HexFormat.of().formatHex(id);
    }

    private static AnnounceResult announce(SwarmRegistry via, int n, long left, AnnounceEvent event) {
        return via.announce(new Announce(SWARM, peerId(n), "10.0.0." + n, 6000 + n, left, 0, 0, event, 50), "test");
    }

    private void deliverAToB() {
        topicA.forEach(w -> b.apply(w.key(), w.value(), w.at()));
        topicA.clear();
    }

    private static List<SwarmPeer> peersOf(SwarmRegistry via, int asker) {
        return announce(via, asker, 100, AnnounceEvent.NONE).peers();
    }

    @Test
    void aPeerAnnouncedToOneIsHandedOutByTheOtherWithItsAddressAndLeftUntilItStops() {
        announce(a, 1, 0, AnnounceEvent.STARTED);
        assertThat(topicA).extracting(Written::key).containsExactly("peer/" + SWARM.hex() + "/" + peerId(1));
        assertThat(peersOf(b, 9)).isEmpty();

        deliverAToB();

        assertThat(peersOf(b, 9)).containsExactly(new SwarmPeer(peerId(1), "10.0.0.1", 6001, true));
        assertThat(b.size(SWARM)).isEqualTo(2);

        clock.advance(Duration.ofSeconds(1));
        announce(a, 1, 0, AnnounceEvent.STOPPED);
        deliverAToB();

        assertThat(peersOf(b, 9)).isEmpty();
        assertThat(b.size(SWARM)).isEqualTo(1);
    }

    @Test
    void anOlderRecordDoesNotOverwriteWhatTheOtherReplicaSawLater() {
        announce(a, 1, 500, AnnounceEvent.STARTED);
        clock.advance(Duration.ofSeconds(1));
        announce(a, 1, 500, AnnounceEvent.STOPPED);
        clock.advance(Duration.ofSeconds(1));
        announce(b, 1, 0, AnnounceEvent.NONE);

        deliverAToB();

        assertThat(peersOf(b, 9)).containsExactly(new SwarmPeer(peerId(1), "10.0.0.1", 6001, true));
    }

    @Test
    void aPeerSeenLongerAgoThanTheExpiryIsNotRevived() {
        announce(a, 1, 100, AnnounceEvent.STARTED);
        clock.advance(Duration.ofSeconds(61));

        deliverAToB();

        assertThat(b.size(SWARM)).isZero();
    }

    @Test
    void aPeerLearntFromTheOtherExpiresAsItsOwnWould() {
        announce(a, 1, 100, AnnounceEvent.STARTED);
        deliverAToB();
        clock.advance(Duration.ofSeconds(59));
        assertThat(b.size(SWARM)).isEqualTo(1);

        clock.advance(Duration.ofSeconds(2));

        assertThat(b.size(SWARM)).isZero();
    }
}
