package io.bootswarm.tracker.swarm;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.testing.StandInSeed;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.seeds.Seed;
import io.bootswarm.tracker.seeds.SeedRegistry;
import io.bootswarm.tracker.seeds.SeedServices;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Which seed-services a related-swarms lookup asks: every live one in turn (most recently seen first),
 * then {@code seed-url}, until one answers; a 404 is an answer. The stand-in seeds are real HTTP servers,
 * the dead one a closed loopback port. The clock is manual, so a failed lookup is never retried here:
 * what {@code of} returns is what the first lookup came to.
 */
class SeedRelatedSwarmsTest {

    private static final StandInSeed SEED = StandInSeed.start();
    private static final StandInSeed OTHER_SEED = StandInSeed.start();
    private static final String DEAD_URL = "http://127.0.0.1:" + closedPort();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TrackerProperties properties = new TrackerProperties(Duration.ofSeconds(20), null, null, 0, 0,
            null, null, null, null, 0, 0, null, null, null, null, null);
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final SeedRegistry seeds = new SeedRegistry(clock, properties, meters, io.bootswarm.tracker.replica.ReplicaPublisher.NONE);
    // two attempts per call; a breaker opens after two failed calls (of the same seed, if it is per seed)
    private final CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
            .slidingWindowSize(2).minimumNumberOfCalls(2).waitDurationInOpenState(Duration.ofMinutes(10)).build());
    private SeedRelatedSwarms related;

    @BeforeEach
    void setUp() {
        related = new SeedRelatedSwarms(new SeedServices(seeds, properties, RestClient.builder(), breakers,
                RetryRegistry.of(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(10)).build()),
                TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(10)).build())),
                properties, clock, meters);
    }

    @AfterEach
    void tearDown() {
        related.close();
    }

    @AfterAll
    static void stopSeeds() {
        SEED.close();
        OTHER_SEED.close();
    }

    private static int closedPort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String randomHex() {
        byte[] b = new byte[20];
        ThreadLocalRandom.current().nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Registers the seeds with these API URLs, the last one seen most recently (so asked first). */
    private void register(String... apiUrls) {
        for (int i = 0; i < apiUrls.length; i++) {
            seeds.register("seed-" + i, "127.0.0.1", 16881 + i, apiUrls[i]);
            clock.advance(Duration.ofSeconds(1));
        }
        assertThat(seeds.live()).extracting(Seed::apiUrl).containsExactly(reversed(apiUrls));
    }

    private static String[] reversed(String[] a) {
        return java.util.stream.IntStream.range(0, a.length).mapToObj(i -> a[a.length - 1 - i]).toArray(String[]::new);
    }

    private double failed() {
        return meters.counter("bootswarm.tracker.related.lookups", "outcome", "failed").count();
    }

    /** What the first lookup of {@code swarm} came to, once it is done. */
    private List<RelatedSwarms.Related> lookup(String swarm) {
        SwarmId id = SwarmId.parse(swarm);
        related.of(id);
        await().atMost(Duration.ofSeconds(20)).until(() -> related.lookupDone(id));
        return related.of(id);
    }

    @Test
    void aDeadSeedServiceAskedFirstCostsNothingTheNextLiveOneAnswers() {
        String a = randomHex();
        String b = randomHex();
        String c = randomHex();
        String d = randomHex();
        SEED.relate(a, b, 120);
        SEED.relate(c, d, 7);
        register(SEED.url(), DEAD_URL);

        assertThat(lookup(a)).containsExactly(new RelatedSwarms.Related(SwarmId.parse(b), 120));
        assertThat(SEED.relatedRequests(a)).isEqualTo(1);
        // the dead seed's breaker is open by now; it does not keep the live one from being asked
        assertThat(lookup(c)).containsExactly(new RelatedSwarms.Related(SwarmId.parse(d), 7));
        assertThat(failed()).isZero();
        assertThat(related.lookupFailed(SwarmId.parse(a))).isFalse();
    }

    @Test
    void aSwarmTheFirstAnsweringSeedServiceDoesNotKnowHasNoRelatedSwarms() {
        String a = randomHex();
        SEED.relate(a, randomHex(), 3);
        register(SEED.url(), OTHER_SEED.url());

        assertThat(lookup(a)).isEmpty();
        assertThat(OTHER_SEED.relatedRequests(a)).isEqualTo(1);
        assertThat(SEED.relatedRequests(a)).as("a 404 is an answer").isZero();
        assertThat(failed()).isZero();
    }

    @Test
    void aLookupNoSeedServiceAnswersIsOneFailure() {
        String a = randomHex();
        OTHER_SEED.failRelated(a);
        register(OTHER_SEED.url(), DEAD_URL);

        assertThat(lookup(a)).isEmpty();
        assertThat(related.lookupFailed(SwarmId.parse(a))).isTrue();
        assertThat(OTHER_SEED.relatedRequests(a)).as("both attempts").isEqualTo(2);
        assertThat(failed()).isEqualTo(1);
    }

    @Test
    void withNoLiveSeedServiceTheConfiguredSeedUrlIsAsked() {
        TrackerProperties withUrl = new TrackerProperties(Duration.ofSeconds(20), null, null, 0, 0,
                java.net.URI.create(SEED.url()), null, null, null, 0, 0, null, null, null, null, null);
        related.close();
        related = new SeedRelatedSwarms(new SeedServices(seeds, withUrl, RestClient.builder(), breakers,
                RetryRegistry.ofDefaults(), TimeLimiterRegistry.ofDefaults()), withUrl, clock, meters);
        String a = randomHex();
        String b = randomHex();
        SEED.relate(a, b, 9);

        assertThat(lookup(a)).containsExactly(new RelatedSwarms.Related(SwarmId.parse(b), 9));
        assertThat(failed()).isZero();
    }
}
