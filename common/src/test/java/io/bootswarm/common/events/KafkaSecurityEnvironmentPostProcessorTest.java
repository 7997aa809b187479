package io.bootswarm.common.events;

import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A service logs in to Kafka by default, as its application name, and will not start without a password. */
class KafkaSecurityEnvironmentPostProcessorTest {

    private final KafkaSecurityEnvironmentPostProcessor processor = new KafkaSecurityEnvironmentPostProcessor();

    @Test
    void aServiceWithoutAPasswordRefusesToStart() {
        MockEnvironment env = new MockEnvironment().withProperty("spring.application.name", "tracker-service");
        assertThatThrownBy(() -> processor.postProcessEnvironment(env, new SpringApplication()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bootswarm.kafka.password")
                .hasMessageContaining("bootswarm.kafka.security=none");
    }

    @Test
    void usernameAndPasswordBecomeAScramLoginAsTheApplicationName() {
        MockEnvironment env = new MockEnvironment().withProperty("spring.application.name", "tracker-service")
                .withProperty("bootswarm.kafka.password", "pa\"ss\\word");
        processor.postProcessEnvironment(env, new SpringApplication());
        assertThat(env.getProperty("spring.kafka.security.protocol")).isEqualTo("SASL_PLAINTEXT");
        assertThat(env.getProperty("spring.kafka.properties.sasl.mechanism")).isEqualTo("SCRAM-SHA-512");
        assertThat(env.getProperty("spring.kafka.properties.sasl.jaas.config")).isEqualTo(
                "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"tracker-service\""
                        + " password=\"pa\\\"ss\\\\word\";");
    }

    @Test
    void settingsGivenDirectlyWin() {
        MockEnvironment env = new MockEnvironment()
                .withProperty("bootswarm.kafka.username", "agent-7")
                .withProperty("bootswarm.kafka.password", "secret")
                .withProperty("bootswarm.kafka.mechanism", "PLAIN")
                .withProperty("spring.kafka.security.protocol", "SASL_SSL");
        processor.postProcessEnvironment(env, new SpringApplication());
        assertThat(env.getProperty("spring.kafka.security.protocol")).isEqualTo("SASL_SSL");
        assertThat(env.getProperty("spring.kafka.properties.sasl.jaas.config"))
                .startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"agent-7\"");

        MockEnvironment own = new MockEnvironment().withProperty("spring.application.name", "seed-service")
                .withProperty(KafkaSecurityEnvironmentPostProcessor.JAAS, "custom required;");
        processor.postProcessEnvironment(own, new SpringApplication());
        assertThat(own.getProperty(KafkaSecurityEnvironmentPostProcessor.JAAS)).isEqualTo("custom required;");
    }

    @Test
    void onlyAnExplicitOptOutConnectsWithoutAuthentication() {
        MockEnvironment env = new MockEnvironment().withProperty("spring.application.name", "tracker-service")
                .withProperty("bootswarm.kafka.security", "none");
        processor.postProcessEnvironment(env, new SpringApplication());
        assertThat(env.getPropertySources().contains(KafkaSecurityEnvironmentPostProcessor.SOURCE)).isFalse();
        assertThat(env.getProperty("spring.kafka.security.protocol")).isNull();
    }
}
