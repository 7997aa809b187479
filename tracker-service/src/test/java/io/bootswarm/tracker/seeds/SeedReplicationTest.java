package io.bootswarm.tracker.seeds;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.replica.ReplicaPublisher;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** A seed registered with one replica is live on another, as long as its registrations keep coming. */
class SeedReplicationTest {

    private record Written(String key, String value, Instant at) {
    }

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TrackerProperties properties = TrackerProperties.defaults();
    private final List<Written> topic = new ArrayList<>();
    private final SeedRegistry a = new SeedRegistry(clock, properties, new SimpleMeterRegistry(), new ReplicaPublisher() {
        @Override
        public void put(String key, String value) {
            topic.add(new Written(key, value, clock.instant()));
        }

        @Override
        public void remove(String key) {
            topic.add(new Written(key, null, clock.instant()));
        }
    });
    private final SeedRegistry b = new SeedRegistry(clock, properties, new SimpleMeterRegistry(), ReplicaPublisher.NONE);

    private void deliver() {
        topic.forEach(w -> b.apply(w.key(), w.value(), w.at()));
        topic.clear();
    }

    @Test
    void aSeedRegisteredWithOneIsLiveOnTheOtherUntilItsTtlPasses() {
        a.register("seed-1", "10.0.0.5", 6881, "http://10.0.0.5:8081");
        assertThat(b.live()).isEmpty();

        deliver();

        assertThat(b.live()).containsExactly(new Seed("seed-1", "10.0.0.5", 6881, "http://10.0.0.5:8081", clock.instant()));
        clock.advance(properties.seedTtl());
        assertThat(b.live()).isEmpty();
    }

    @Test
    void anOlderRegistrationDoesNotReplaceOneHeardLater() {
        a.register("seed-1", "10.0.0.5", 6881, "http://old:8081");
        clock.advance(Duration.ofSeconds(1));
        b.register("seed-1", "10.0.0.6", 6881, "http://new:8081");

        deliver();

        assertThat(b.live()).extracting(Seed::apiUrl).containsExactly("http://new:8081");
    }

    @Test
    void aRegistrationOlderThanTheTtlIsNotRevived() {
        a.register("seed-1", "10.0.0.5", 6881, "http://10.0.0.5:8081");
        clock.advance(properties.seedTtl().plusSeconds(1));

        deliver();

        assertThat(b.live()).isEmpty();
    }
}
