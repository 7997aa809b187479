package io.bootswarm.agent.tracker;

import io.bootswarm.testing.ManualClock;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.common.CompositeCustomizer;
import io.github.resilience4j.springboot.circuitbreaker.autoconfigure.CircuitBreakerProperties;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The agent's circuit breaker towards the tracker, as node-agent.yml configures it
 * ({@code resilience4j.circuitbreaker.instances.tracker}, {@code bootswarm.agent.tracker.*}), on a clock
 * the test moves: closed, open after repeated failures, failing fast while open, one probe after the open
 * period whose success closes it and whose failure opens it again; and a launch's call that waits out the
 * open period instead of failing, within its bound.
 */
class TrackerBreakerTest {

    static final String SEEDS = """
            [{"id": "s1", "peerHost": "10.0.0.9", "peerPort": 6881, "apiUrl": "http://10.0.0.9:8081"}]""";
    static final String OPEN = "circuit breaker is open";

    final ManualClock clock = new ManualClock();
    final CircuitBreakerConfig breakerConfig;
    final Duration openPeriod;
    final Duration breakerWait;
    final CircuitBreakerRegistry registry;
    final CircuitBreaker breaker;
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    /**
     * Threads for the calls left under way while the test goes on; not the common pool: a call blocking its one
     * thread (on two cores) kept the HTTP exchange it waited for from completing until the time limiter's end.
     */
    final ExecutorService callers = Executors.newCachedThreadPool();
    final StubTracker tracker;
    final TrackerClient client;

    TrackerBreakerTest() throws IOException {
        Binder config = new Binder(ConfigurationPropertySources.from(new YamlPropertySourceLoader()
                .load("node-agent.yml", new ClassPathResource("node-agent.yml"))));
        CircuitBreakerProperties breakers = config.bind("resilience4j.circuitbreaker", CircuitBreakerProperties.class)
                .get();
        breakerConfig = CircuitBreakerConfig.from(breakers.createCircuitBreakerConfig("tracker",
                breakers.getInstances().get("tracker"), new CompositeCustomizer<>(List.of()))).clock(clock).build();
        openPeriod = Duration.ofMillis(breakerConfig.getWaitIntervalFunctionInOpenState().apply(1));
        breakerWait = config.bindOrCreate("bootswarm.agent.tracker", TrackerCallSettings.class).breakerWait();
        registry = CircuitBreakerRegistry.of(breakerConfig);
        breaker = registry.circuitBreaker("tracker");
        tracker = new StubTracker();
        client = tracker.client(registry, breakerWait, clock, meters);
    }

    @AfterEach
    void close() {
        callers.shutdownNow();
        client.close();
        tracker.close();
    }

    @Test
    void opensAfterRepeatedFailuresFailsFastThenLetsExactlyOneProbeThroughWhoseOutcomeClosesOrReopensIt()
            throws Exception {
        tracker.answer = r -> new StubTracker.Response(500, "{}");
        int failures = breakerConfig.getMinimumNumberOfCalls();
        for (int i = 0; i < failures; i++) {
            assertThat(breaker.getState()).as("before failure %d", i + 1).isEqualTo(CircuitBreaker.State.CLOSED);
            assertThatThrownBy(() -> client.heartbeat("host-1")).hasMessageContaining("answered 500");
        }
        assertThat(breaker.getState()).as("after %d failures", failures).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(tracker.requests).hasSize(failures);

        clock.advance(openPeriod.minusMillis(1));
        assertThatThrownBy(() -> client.heartbeat("host-1")).as("a call while open fails fast")
                .isInstanceOf(IOException.class).hasMessageContaining("tracker " + OPEN);
        assertThat(tracker.requests).as("no request while open").hasSize(failures);

        clock.advance(Duration.ofMillis(2));
        assertThatThrownBy(() -> client.heartbeat("host-1")).as("the probe after the open period")
                .hasMessageContaining("answered 500");
        assertThat(tracker.requests).hasSize(failures + 1);
        assertThat(breaker.getState()).as("a failed probe opens the breaker again").isEqualTo(CircuitBreaker.State.OPEN);
        assertThatThrownBy(() -> client.heartbeat("host-1")).hasMessageContaining(OPEN);
        assertThat(tracker.requests).as("no request once open again").hasSize(failures + 1);

        clock.advance(openPeriod.plusMillis(1));
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(true);
        tracker.answer = r -> {
            if (first.getAndSet(false)) {
                awaitRelease(release);
            }
            return StubTracker.Response.ok("{}");
        };
        CompletableFuture<Boolean> probe = CompletableFuture.supplyAsync(() -> heartbeat(client), callers);
        await().atMost(Duration.ofSeconds(30)).until(() -> tracker.requests.size() == failures + 2);
        assertThatThrownBy(() -> client.heartbeat("host-1")).as("a call while the probe is under way")
                .hasMessageContaining(OPEN);
        assertThat(tracker.requests).as("exactly one probe").hasSize(failures + 2);
        release.countDown();
        assertThat(probe.get(30, TimeUnit.SECONDS)).isTrue();
        assertThat(breaker.getState()).as("a probe that succeeds closes the breaker")
                .isEqualTo(CircuitBreaker.State.CLOSED);
        for (int i = 0; i < 3; i++) {
            assertThat(client.heartbeat("host-1")).isTrue();
        }
        assertThat(tracker.requests).hasSize(failures + 5);
    }

    @Test
    void aLaunchCallWaitsOutTheOpenPeriodAndItsProbeGetsThroughOnceTheTrackerIsBack() throws Exception {
        assertThat(breakerWait).as("the configured wait exceeds the open period").isGreaterThan(openPeriod);
        openTheBreaker();
        int before = tracker.requests.size();
        tracker.answer = r -> StubTracker.Response.ok(SEEDS);

        CompletableFuture<List<TrackerClient.SeedInfo>> seeds = CompletableFuture.supplyAsync(() -> seeds(client), callers);
        await().atMost(Duration.ofSeconds(30)).until(() -> breaker.getMetrics().getNumberOfNotPermittedCalls() > 0);
        assertThat(seeds).as("waiting while the breaker is open").isNotDone();
        assertThat(tracker.requests).hasSize(before);

        clock.advance(openPeriod.plusMillis(1));
        assertThat(seeds.get(30, TimeUnit.SECONDS)).containsExactly(new TrackerClient.SeedInfo("s1", "10.0.0.9", 6881,
                "http://10.0.0.9:8081"));
        assertThat(tracker.paths()).as("one call, the probe, once the open period passed").hasSize(before + 1)
                .last().isEqualTo("GET /api/v1/seeds");
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(meters.counter("bootswarm.agent.tracker.breaker.waits", "outcome", "through").count()).isOne();
    }

    @Test
    void aLaunchCallGivesUpClearlyOnceItsWaitHasPassedWithTheTrackerStillAway() throws Exception {
        openTheBreaker();
        int before = tracker.requests.size();

        CompletableFuture<List<TrackerClient.SeedInfo>> seeds = CompletableFuture.supplyAsync(() -> seeds(client), callers);
        await().atMost(Duration.ofSeconds(30)).until(() -> breaker.getMetrics().getNumberOfNotPermittedCalls() > 0);
        clock.advance(breakerWait);

        assertThatThrownBy(() -> seeds.get(30, TimeUnit.SECONDS)).rootCause().isInstanceOf(IOException.class)
                .hasMessageContaining("answered 500")
                .hasMessageContaining("no call got through in " + breakerWait.toMillis() + " ms");
        assertThat(tracker.requests).as("one probe after the open period, which failed").hasSize(before + 1);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        assertThat(meters.counter("bootswarm.agent.tracker.breaker.waits", "outcome", "gave-up").count()).isOne();
    }

    @Test
    void otherCallsAndALaunchCallWithoutAWaitFailFastOnTheOpenBreaker() throws Exception {
        openTheBreaker();
        int before = tracker.requests.size();
        assertThatThrownBy(client::seeds).hasMessageContaining(OPEN);
        assertThatThrownBy(() -> client.heartbeat("host-1")).hasMessageContaining(OPEN);
        try (TrackerClient noWait = tracker.client(registry, Duration.ZERO, clock, new SimpleMeterRegistry())) {
            assertThatThrownBy(noWait::seedsForLaunch).hasMessageContaining(OPEN);
        }
        assertThat(tracker.requests).hasSize(before);
        assertThat(meters.counter("bootswarm.agent.tracker.breaker.waits", "outcome", "gave-up").count()).isZero();
    }

    private void openTheBreaker() {
        tracker.answer = r -> new StubTracker.Response(500, "{}");
        while (breaker.getState() != CircuitBreaker.State.OPEN) {
            assertThatThrownBy(() -> client.heartbeat("host-1")).hasMessageContaining("answered 500");
        }
    }

    private static boolean heartbeat(TrackerClient client) {
        try {
            return client.heartbeat("host-1");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<TrackerClient.SeedInfo> seeds(TrackerClient client) {
        try {
            return client.seedsForLaunch();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitRelease(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
