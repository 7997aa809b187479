package io.bootswarm.tracker.launch;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.testing.StandInSeed;
import io.bootswarm.tracker.TrackerProperties;
import io.bootswarm.tracker.replica.ReplicaPublisher;
import io.bootswarm.tracker.seeds.SeedRegistry;
import io.bootswarm.tracker.seeds.SeedServices;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.client.RestClient;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An image lookup asks the live seeds in turn (most recently seen first) until one answers: a dead seed among
 * them costs nothing but its attempt, a 404 is the answer "no such image". Stand-in seeds are real HTTP servers,
 * the dead one a closed loopback port.
 */
class SeedImageClientTest {

    private static final StandInSeed SEED = StandInSeed.start();
    private static final StandInSeed OTHER_SEED = StandInSeed.start();
    private static final String DEAD_URL = "http://127.0.0.1:" + closedPort();

    private final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    private final TrackerProperties properties = new TrackerProperties(Duration.ofSeconds(20), null, null, 0, 0,
            null, null, null, null, 0, 0, null, null, null, null, null);
    private final SeedRegistry seeds = new SeedRegistry(clock, properties, new SimpleMeterRegistry(),
            ReplicaPublisher.NONE);
    private final SeedServices services = new SeedServices(seeds, properties, RestClient.builder(),
            CircuitBreakerRegistry.of(CircuitBreakerConfig.custom().slidingWindowSize(2).minimumNumberOfCalls(2)
                    .waitDurationInOpenState(Duration.ofMinutes(10)).build()),
            RetryRegistry.of(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(10)).build()),
            TimeLimiterRegistry.ofDefaults());
    private final SeedImageClient client = new SeedImageClient(services);

    @AfterEach
    void tearDown() {
        services.close();
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

    /** Registers the seeds with these API URLs, the last one seen most recently (so asked first). */
    private void register(String... apiUrls) {
        for (int i = 0; i < apiUrls.length; i++) {
            seeds.register("seed-" + i, "127.0.0.1", 16881 + i, apiUrls[i]);
            clock.advance(Duration.ofSeconds(1));
        }
    }

    @Test
    void aDeadSeedAskedFirstCostsNothingTheNextLiveOneAnswers() throws Exception {
        UUID image = SEED.addImage("ubuntu", 1000);
        register(SEED.url(), DEAD_URL);

        assertThat(client.find(image)).map(ImageInfo::name).contains("ubuntu");
        assertThat(client.find(image)).map(ImageInfo::name).contains("ubuntu");
        assertThat(SEED.requests(image)).isEqualTo(2);
    }

    @Test
    void aNotFoundIsTheAnswerTheNextSeedIsNotAsked() throws Exception {
        UUID image = SEED.addImage("debian", 1000);
        register(SEED.url(), OTHER_SEED.url());

        assertThat(client.find(image)).isEmpty();
        assertThat(SEED.requests(image)).isZero();
    }
}
