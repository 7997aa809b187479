package io.bootswarm.agent;

import io.bootswarm.agent.disk.CacheQuota;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The addresses an agent advertises, bound as Spring binds them from the environment. */
class AgentPropertiesTest {

    private static AgentProperties bind(Map<String, String> values) {
        return new Binder(new MapConfigurationPropertySource(values))
                .bindOrCreate("bootswarm.agent", AgentProperties.class);
    }

    @Test
    void nbdUrisUseThePeerAddressAndTheBoundPortUnlessToldOtherwise() {
        AgentProperties p = bind(Map.of("bootswarm.agent.advertised-host", "10.0.0.7",
                "bootswarm.agent.host-name", "h1"));
        assertThat(p.nbd().advertisedHost()).isEqualTo("10.0.0.7");
        assertThat(p.nbd().advertisedPort()).isZero();
        assertThat(p.nbd().bindAddress()).isEqualTo("127.0.0.1");
    }

    @Test
    void aPublishedNbdPortIsAdvertisedApartFromThePeerAddress() {
        AgentProperties p = bind(Map.of("bootswarm.agent.advertised-host", "agent-2",
                "bootswarm.agent.host-name", "agent-2",
                "bootswarm.agent.nbd.bind-address", "0.0.0.0",
                "bootswarm.agent.nbd.advertised-host", "127.0.0.1",
                "bootswarm.agent.nbd.advertised-port", "10810"));
        assertThat(p.advertisedHost()).isEqualTo("agent-2");
        assertThat(p.nbd().advertisedHost()).isEqualTo("127.0.0.1");
        assertThat(p.nbd().advertisedPort()).isEqualTo(10810);
        assertThat(p.nbd().bindAddress()).isEqualTo("0.0.0.0");
    }

    @Test
    void theCacheQuotaIsHalfTheDataFileSystemUnlessSetAndEvictsToNinetyPercent(@TempDir Path data) throws IOException {
        CacheQuota defaults = bind(Map.of("bootswarm.agent.host-name", "h1")).cache()
                .quota(data.resolve("not-made-yet").resolve("pieces"));
        assertThat(defaults.maxBytes()).isEqualTo(Files.getFileStore(data).getTotalSpace() / 2);
        assertThat(defaults.lowWaterBytes()).isEqualTo(Math.round(defaults.maxBytes() * 0.9));
        assertThat(defaults.punchDelay()).isEqualTo(Duration.ofSeconds(10));

        CacheQuota set = bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.cache.max-size", "10GB",
                "bootswarm.agent.cache.low-water-percent", "80", "bootswarm.agent.cache.punch-delay", "2s"))
                .cache().quota(data);
        assertThat(set).isEqualTo(new CacheQuota(10L << 30, 8L << 30, Duration.ofSeconds(2)));

        CacheQuota none = bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.cache.max-size", "-1B"))
                .cache().quota(data);
        assertThat(none.limited()).isFalse();
    }

    @Test
    void demandCoalescingWaitsOneSecondUnlessSetAndZeroTurnsItOff() {
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1")).swarm().coalesceWait())
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.swarm.coalesce-wait", "250ms"))
                .swarm().coalesceWait()).isEqualTo(Duration.ofMillis(250));
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.swarm.coalesce-wait", "0"))
                .swarm().coalesceWait()).isZero();
    }

    @Test
    void theTrackerUrlIsOneBaseUrlOrACommaSeparatedListOfReplicas() {
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1")).trackerUrls())
                .containsExactly("http://localhost:8080");
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.tracker-url",
                "http://tracker-1:8080, http://tracker-2:8080/")).trackerUrls())
                .containsExactly("http://tracker-1:8080", "http://tracker-2:8080");
    }

    @Test
    void aMalformedTrackerUrlStopsTheStartNamingTheSettingAndTheEntry() {
        assertThatThrownBy(() -> bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.tracker-url",
                "http://tracker-1:8080,tracker-2:8080")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bootswarm.agent.tracker-url must be a comma-separated list of http(s) base URLs")
                .hasMessageEndingWith("'tracker-2:8080' in 'http://tracker-1:8080,tracker-2:8080' is not an http or "
                        + "https URL");
    }

    @Test
    void theSeedUrlIsEmptyOneBaseUrlOrACommaSeparatedListOfReplicas() {
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1")).seedUrls()).as("ask the tracker").isEmpty();
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.seed-url",
                "http://seed:8081")).seedUrls()).containsExactly("http://seed:8081");
        assertThat(bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.seed-url",
                "http://seed:8081/, http://seed-2:8081")).seedUrls())
                .containsExactly("http://seed:8081", "http://seed-2:8081");
    }

    @Test
    void aMalformedSeedUrlStopsTheStartNamingTheSettingAndTheEntry() {
        assertThatThrownBy(() -> bind(Map.of("bootswarm.agent.host-name", "h1", "bootswarm.agent.seed-url",
                "http://seed:8081,,http://seed-2:8081")))
                .rootCause().isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("bootswarm.agent.seed-url must be a comma-separated list of http(s) base URLs")
                .hasMessageEndingWith("'' in 'http://seed:8081,,http://seed-2:8081' is empty");
    }
}
