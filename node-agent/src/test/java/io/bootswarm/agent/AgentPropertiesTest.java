package io.bootswarm.agent;

import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

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
}
