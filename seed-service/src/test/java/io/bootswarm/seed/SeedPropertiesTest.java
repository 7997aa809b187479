package io.bootswarm.seed;

import io.bootswarm.common.manifest.Manifest;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeedPropertiesTest {

    private static SeedProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("bootswarm.seed", SeedProperties.class);
    }

    @Test
    void defaultsAreSane() {
        SeedProperties p = bind(Map.of());
        assertThat(p.storageDir().normalize()).isEqualTo(Path.of("data/seed"));
        assertThat(p.maxImageSize().toBytes()).isEqualTo(64L << 30);
        assertThat(p.pieceBytes()).isEqualTo(Manifest.DEFAULT_PIECE_SIZE);
        assertThat(p.pathImportRate().toBytes()).isZero();
        assertThat(p.peerPort()).isEqualTo(6881);
        assertThat(p.peerBindAddress()).isEmpty();
        assertThat(p.advertisedHost()).isEqualTo("127.0.0.1");
        assertThat(p.heartbeatInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(p.registrationEnabled()).isFalse();
    }

    @Test
    void bindsWhatIsSet() {
        SeedProperties p = bind(Map.of("bootswarm.seed.piece-size", "1MB", "bootswarm.seed.peer-port", "0",
                "bootswarm.seed.tracker-url", "http://tracker:8080", "bootswarm.seed.max-image-size", "10GB"));
        assertThat(p.pieceBytes()).isEqualTo(1 << 20);
        assertThat(p.peerPort()).isZero();
        assertThat(p.registrationEnabled()).isTrue();
        assertThat(p.maxImageSize().toBytes()).isEqualTo(10L << 30);
    }

    @Test
    void rejectsPieceSizesThatAreNotWholeBlocks() {
        assertThatThrownBy(() -> bind(Map.of("bootswarm.seed.piece-size", "1000B"))).isInstanceOf(BindException.class)
                .rootCause().hasMessageContaining("multiple of 16 KiB");
        assertThatThrownBy(() -> bind(Map.of("bootswarm.seed.peer-port", "70000"))).isInstanceOf(BindException.class);
        assertThatThrownBy(() -> bind(Map.of("bootswarm.seed.heartbeat-interval", "0s")))
                .isInstanceOf(BindException.class);
    }

    @Test
    void theTrackerUrlIsOneBaseUrlOrACommaSeparatedListOfReplicasAndAMalformedOneStopsTheStart() {
        assertThat(bind(Map.of()).trackerUrls()).isEmpty();
        assertThat(bind(Map.of("bootswarm.seed.tracker-url", "http://tracker-1:8080/,http://tracker-2:8080"))
                .trackerUrls()).containsExactly("http://tracker-1:8080", "http://tracker-2:8080");
        assertThatThrownBy(() -> bind(Map.of("bootswarm.seed.tracker-url", "http://tracker-1:8080,tracker-2")))
                .isInstanceOf(BindException.class).rootCause()
                .hasMessageStartingWith("bootswarm.seed.tracker-url must be a comma-separated list of http(s) base URLs")
                .hasMessageEndingWith("'tracker-2' in 'http://tracker-1:8080,tracker-2' is not an http or https URL");
    }
}
