package io.bootswarm.tracker;

import io.bootswarm.tracker.net.Cidr;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.env.YamlPropertySourceLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.PropertySource;
import org.springframework.core.io.ClassPathResource;

import java.io.IOException;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class TrackerPropertiesTest {

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(TrackerProperties.class)
    static class Bound {
    }

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withUserConfiguration(Bound.class);

    @Test
    void trackerServiceYmlSetsTheDefaults() throws IOException {
        List<PropertySource<?>> yml = new YamlPropertySourceLoader().load("tracker-service.yml",
                new ClassPathResource("tracker-service.yml"));
        TrackerProperties p = new Binder(ConfigurationPropertySources.from(yml))
                .bind("bootswarm.tracker", TrackerProperties.class).get();
        assertThat(p.announce().trustedNetworks()).isEmpty();
        assertThat(p.status().maxSequenceGap()).isEqualTo(1_000_000);
        assertThat(p.status().maxClockSkew()).isEqualTo(Duration.ofMinutes(5));
        assertThat(p.status().outageRetryMaxInterval()).isEqualTo(Duration.ofSeconds(5));
        assertThat(TrackerProperties.defaults().announce()).isEqualTo(p.announce());
        assertThat(TrackerProperties.defaults().status()).isEqualTo(p.status());
    }

    @Test
    void trustedNetworksBindFromACommaSeparatedList() {
        runner.withPropertyValues("bootswarm.tracker.announce.trusted-networks=10.0.0.0/8, fd00::/8",
                        "bootswarm.tracker.status.max-sequence-gap=5", "bootswarm.tracker.status.max-clock-skew=30s",
                        "bootswarm.tracker.status.outage-retry-max-interval=1s")
                .run(context -> {
                    TrackerProperties p = context.getBean(TrackerProperties.class);
                    assertThat(p.announce().trustedNetworks()).containsExactly(Cidr.of("10.0.0.0/8"), Cidr.of("fd00::/8"));
                    assertThat(p.status()).isEqualTo(new TrackerProperties.Status(5, Duration.ofSeconds(30), Duration.ofSeconds(1)));
                });
    }

    @Test
    void aMalformedTrustedNetworkStopsTheStartWithAClearMessage() {
        runner.withPropertyValues("bootswarm.tracker.announce.trusted-networks=10.0.0.0/8,10.0.0.0/33")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause().hasMessage("'10.0.0.0/33' is not a CIDR network "
                            + "(like 10.0.0.0/8 or fd00::/8): the prefix length must be 0-32");
                    assertThat(context.getStartupFailure())
                            .hasStackTraceContaining("bootswarm.tracker.announce.trusted-networks");
                });
    }

    @Test
    void aNegativeSequenceGapOrClockSkewStopsTheStart() {
        runner.withPropertyValues("bootswarm.tracker.status.max-sequence-gap=-1")
                .run(context -> assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("max-sequence-gap must be positive"));
        runner.withPropertyValues("bootswarm.tracker.status.max-clock-skew=-1s")
                .run(context -> assertThat(context.getStartupFailure()).rootCause()
                        .hasMessageContaining("max-clock-skew must be positive"));
    }
}
