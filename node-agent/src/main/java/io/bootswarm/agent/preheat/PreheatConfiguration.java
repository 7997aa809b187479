package io.bootswarm.agent.preheat;

import io.bootswarm.agent.AgentProperties;
import io.bootswarm.agent.manifest.ManifestCatalog;
import io.bootswarm.agent.profile.ProfileClient;
import io.bootswarm.agent.swarm.SwarmManager;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.core.KafkaTemplate;

import java.time.InstantSource;

/**
 * Wires the agent's preheats; the launch command listener hands them their commands. Imported by the agent's
 * configuration, so every context that wires the agent has them.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(PreheatProperties.class)
public class PreheatConfiguration {

    @Bean
    Preheats preheats(ManifestCatalog manifests, SwarmManager swarms, ProfileClient profiles,
                      KafkaTemplate<String, String> kafka, AgentProperties agent, PreheatProperties properties,
                      MeterRegistry meters) {
        return new Preheats(manifests, swarms, profiles, new PreheatReporter(kafka, agent.hostName()), properties,
                InstantSource.system(), meters);
    }
}
