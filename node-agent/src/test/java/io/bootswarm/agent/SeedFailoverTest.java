package io.bootswarm.agent;

import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.manifest.SigningSeed;
import io.bootswarm.agent.tracker.TrackerClient;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.common.remote.RemoteCall;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.web.client.RestClient;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The agent configured with two seed replicas ({@code bootswarm.agent.seed-url} a comma-separated list) and no
 * load balancer, its manifest catalog wired as the application wires it: with the first seed gone, a launch's
 * manifest and the manifest keys come from the second, which calls stay with; a 404 of the current seed is an
 * answer, not a failover. The seeds are stub seed-services on real sockets, the first one closed.
 */
class SeedFailoverTest {

    @TempDir
    Path data;

    final SigningSeed first = new SigningSeed();
    final SigningSeed second = new SigningSeed();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    SeedFailoverTest() throws IOException {
        second.rotateTo(first.keys());
    }

    @AfterEach
    void close() {
        first.close();
        second.close();
    }

    private ManifestCatalog catalog(String seedUrl) throws IOException {
        AgentProperties p = new Binder(new MapConfigurationPropertySource(Map.of("bootswarm.agent.host-name", "h1",
                "bootswarm.agent.data-directory", data.toString(), "bootswarm.agent.seed-url", seedUrl)))
                .bindOrCreate("bootswarm.agent", AgentProperties.class);
        RetryRegistry retries = RetryRegistry.of(RetryConfig.custom().maxAttempts(2)
                .waitDuration(Duration.ofMillis(10)).build());
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.ofDefaults();
        TimeLimiterRegistry limiters = TimeLimiterRegistry.of(TimeLimiterConfig.custom()
                .timeoutDuration(Duration.ofSeconds(30)).build());
        String nowhere = "http://127.0.0.1:9";
        TrackerClient tracker = new TrackerClient(RestClient.builder().baseUrl(nowhere).build(), nowhere,
                RemoteCall.of("tracker", retries, breakers, limiters), "127.0.0.1");
        return new AgentConfiguration().manifestCatalog(RestClient.builder(), tracker, retries, breakers, limiters, p,
                DataDirectory.prepare(p), meters);
    }

    private static Manifest image(int seed) throws IOException {
        byte[] bytes = new byte[2 * Manifest.DEFAULT_PIECE_SIZE + 5];
        new Random(seed).nextBytes(bytes);
        return new PieceSplitter(Manifest.DEFAULT_PIECE_SIZE, Long.MAX_VALUE)
                .split(new ByteArrayInputStream(bytes), null, null).manifest(UUID.randomUUID(), "image-" + seed);
    }

    private double failovers() {
        return meters.get("bootswarm.remote.replica.failovers").tag("service", "seed").counter().count();
    }

    @Test
    void withTheFirstSeedGoneTheManifestAndItsKeysComeFromTheSecondWhichCallsStayWith() throws IOException {
        Manifest a = image(1);
        Manifest b = image(2);
        first.serve(a).serve(b);
        second.serve(a).serve(b);
        first.close();

        try (ManifestCatalog catalog = catalog(first.url() + "," + second.url())) {
            assertThat(catalog.get(a.imageId()).toDocument().pieceHashes()).isEqualTo(a.toDocument().pieceHashes());
            assertThat(catalog.get(b.imageId()).toDocument().pieceHashes()).isEqualTo(b.toDocument().pieceHashes());
        }

        assertThat(second.manifestRequests()).isEqualTo(2);
        assertThat(second.keyRequests()).as("trust on first use, of the seed that answered").isEqualTo(1);
        assertThat(first.manifestRequests() + first.keyRequests()).isZero();
        assertThat(failovers()).isEqualTo(1);
        assertThat(meters.get("bootswarm.remote.replica.current").tag("url", second.url()).gauge().value())
                .isEqualTo(1);
    }

    @Test
    void anImageUnknownToTheCurrentSeedIsAnAnswerNotAFailover() throws IOException {
        Manifest a = image(3);
        second.serve(a);

        try (ManifestCatalog catalog = catalog(first.url() + "," + second.url())) {
            assertThatThrownBy(() -> catalog.get(a.imageId())).isInstanceOf(ManifestCatalog.UnknownImageException.class);
        }

        assertThat(failovers()).isZero();
        assertThat(meters.get("bootswarm.remote.replica.current").tag("url", first.url()).gauge().value())
                .isEqualTo(1);
    }
}
