package io.bootswarm.profile;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

class ProfilePropertiesTest {

    private static ProfileProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("bootswarm.profile", ProfileProperties.class);
    }

    @Test
    void defaults() {
        ProfileProperties p = bind(Map.of());
        assertThat(p.seedUrl()).hasToString("http://localhost:8081");
        assertThat(p.maxUploadSize().toMegabytes()).isEqualTo(32);
        assertThat(p.pendingTraceMaxAge()).isEqualTo(Duration.ofHours(1));
        assertThat(p.traceLimits().maxReadLength()).isEqualTo(64L << 20);
        assertThat(p.traceLimits().maxTimeMicros()).isEqualTo(7L * 24 * 3600 * 1_000_000);
        assertThat(p.traceLimits().maxPieces()).isEqualTo(1 << 20);
    }

    @Test
    void badValuesAreRefused() {
        assertThat(catchThrowable(() -> bind(Map.of("bootswarm.profile.seed-url", "ftp://seed"))))
                .isInstanceOf(BindException.class).rootCause().hasMessageContaining("seed-url");
        assertThat(catchThrowable(() -> bind(Map.of("bootswarm.profile.pending-trace-max-age", "0s"))))
                .isInstanceOf(BindException.class).rootCause().hasMessageContaining("pending-trace-max-age");
        assertThat(catchThrowable(() -> bind(Map.of("bootswarm.profile.max-upload-size", "0B"))))
                .isInstanceOf(BindException.class);
        assertThat(catchThrowable(() -> bind(Map.of("bootswarm.profile.max-chunks-per-trace", "0"))))
                .isInstanceOf(BindException.class);
    }

    @Test
    void theSeedUrlIsOneBaseUrlOrACommaSeparatedListOfReplicas() {
        assertThat(bind(Map.of()).seedUrls()).containsExactly("http://localhost:8081");
        assertThat(bind(Map.of("bootswarm.profile.seed-url", "http://seed:8081/, http://seed-2:8081")).seedUrls())
                .containsExactly("http://seed:8081", "http://seed-2:8081");
        assertThat(catchThrowable(() -> bind(Map.of("bootswarm.profile.seed-url", "http://seed:8081,seed-2:8081"))))
                .isInstanceOf(BindException.class).rootCause()
                .hasMessageStartingWith("bootswarm.profile.seed-url must be a comma-separated list of http(s) base URLs")
                .hasMessageEndingWith("'seed-2:8081' in 'http://seed:8081,seed-2:8081' is not an http or https URL");
    }
}
