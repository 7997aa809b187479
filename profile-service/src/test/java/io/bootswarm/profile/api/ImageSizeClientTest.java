package io.bootswarm.profile.api;

import io.bootswarm.profile.ProfileProperties;
import io.bootswarm.testing.StandInSeed;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import io.github.resilience4j.timelimiter.TimeLimiterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.web.client.RestClient;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * profile-service configured with two seed replicas ({@code bootswarm.profile.seed-url} a comma-separated list):
 * with the first gone an image is looked up at the second, which calls stay with; a 404 of the current seed is
 * an answer. The seeds are stand-in seed-services on real sockets.
 */
class ImageSizeClientTest {

    private static final int PIECE = 262144;

    final StandInSeed first = StandInSeed.start();
    final StandInSeed second = StandInSeed.start();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    @AfterEach
    void close() {
        first.close();
        second.close();
    }

    private ImageSizeClient client(String seedUrl) {
        ProfileProperties p = new Binder(new MapConfigurationPropertySource(Map.of("bootswarm.profile.seed-url",
                seedUrl))).bindOrCreate("bootswarm.profile", ProfileProperties.class);
        return new ImageSizeClient(p, RestClient.builder(), CircuitBreakerRegistry.ofDefaults(),
                RetryRegistry.of(RetryConfig.custom().maxAttempts(2).waitDuration(Duration.ofMillis(10)).build()),
                TimeLimiterRegistry.of(TimeLimiterConfig.custom().timeoutDuration(Duration.ofSeconds(30)).build()),
                meters);
    }

    private double failovers() {
        return meters.get("bootswarm.remote.replica.failovers").tag("service", ImageSizeClient.NAME).counter()
                .count();
    }

    @Test
    void withTheFirstSeedGoneImagesAreLookedUpAtTheSecondWhichCallsStayWith() {
        UUID image = first.addImage("debian-12", 10L * PIECE + 1, PIECE);
        second.replaceImage(image, 10L * PIECE + 1, PIECE);
        first.close();

        try (ImageSizeClient client = client(first.url() + "," + second.url())) {
            assertThat(client.find(image)).contains(new ImageSize(image, 10L * PIECE + 1, PIECE));
            assertThat(client.find(image)).contains(new ImageSize(image, 10L * PIECE + 1, PIECE));
        }

        assertThat(second.requests(image)).isEqualTo(2);
        assertThat(failovers()).isEqualTo(1);
        assertThat(meters.get("bootswarm.remote.replica.current").tag("url", second.url()).gauge().value())
                .isEqualTo(1);
    }

    @Test
    void anImageUnknownToTheCurrentSeedIsAnAnswerNotAFailover() {
        UUID image = second.addImage("only-on-the-second", PIECE, PIECE);

        try (ImageSizeClient client = client(first.url() + "," + second.url())) {
            assertThat(client.find(image)).isEmpty();
        }

        assertThat(first.requests(image)).isEqualTo(1);
        assertThat(second.requests(image)).isZero();
        assertThat(failovers()).isZero();
    }

    @Test
    void oneFailingSeedIsRetriedThenUnavailable() {
        UUID image = first.addFailingImage();

        try (ImageSizeClient client = client(first.url())) {
            SeedUnavailableException e = catchThrowableOfType(SeedUnavailableException.class,
                    () -> client.find(image));
            assertThat(e.getMessage()).startsWith("seed-service at " + first.url() + " answered 5");
        }

        assertThat(first.requests(image)).isEqualTo(2);
    }
}
