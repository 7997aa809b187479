package io.bootswarm.common.events;

import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.kafka.autoconfigure.KafkaProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A service logs in to Kafka by default, as its application name, with every client Spring Boot
 * builds; it will not start without a password unless told to connect without authentication.
 */
class KafkaSecurityAutoConfigurationTest {

    private static final String SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule";

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(KafkaSecurityAutoConfiguration.class, KafkaAutoConfiguration.class))
            .withPropertyValues("spring.application.name=tracker-service");

    @Test
    void aServiceWithoutAPasswordRefusesToStart() {
        runner.run(context -> assertThat(context).hasFailed().getFailure()
                .rootCause().hasMessageContaining("bootswarm.kafka.password")
                .hasMessageContaining("bootswarm.kafka.security=none"));
    }

    @Test
    void thePasswordBecomesAScramLoginAsTheApplicationNameOfEveryClient() {
        runner.withPropertyValues("bootswarm.kafka.password=pa\"ss\\word").run(context -> {
            assertThat(context).hasNotFailed();
            String jaas = SCRAM + " required username=\"tracker-service\" password=\"pa\\\"ss\\\\word\";";
            var producer = context.getBean(DefaultKafkaProducerFactory.class).getConfigurationProperties();
            assertThat(producer).containsEntry("security.protocol", "SASL_PLAINTEXT")
                    .containsEntry("sasl.mechanism", "SCRAM-SHA-512").containsEntry("sasl.jaas.config", jaas);
            KafkaProperties kafka = context.getBean(KafkaProperties.class);
            assertThat(kafka.buildConsumerProperties()).containsEntry("sasl.jaas.config", jaas);
            assertThat(kafka.buildAdminProperties()).containsEntry("sasl.jaas.config", jaas);
        });
    }

    @Test
    void settingsGivenDirectlyWin() {
        runner.withPropertyValues("bootswarm.kafka.username=agent-7", "bootswarm.kafka.password=secret",
                "bootswarm.kafka.mechanism=PLAIN", "spring.kafka.security.protocol=SASL_SSL").run(context -> {
            KafkaProperties kafka = context.getBean(KafkaProperties.class);
            assertThat(kafka.getSecurity().getProtocol()).isEqualTo("SASL_SSL");
            assertThat(kafka.getProperties().get("sasl.jaas.config"))
                    .startsWith("org.apache.kafka.common.security.plain.PlainLoginModule required username=\"agent-7\"");
        });
        runner.withPropertyValues("spring.kafka.properties.sasl.jaas.config=custom required;").run(context ->
                assertThat(context.getBean(KafkaProperties.class).getProperties())
                        .containsEntry("sasl.jaas.config", "custom required;"));
    }

    @Test
    void onlyAnExplicitOptOutConnectsWithoutAuthentication() {
        runner.withPropertyValues("bootswarm.kafka.security=none").run(context -> {
            assertThat(context).hasNotFailed();
            KafkaProperties kafka = context.getBean(KafkaProperties.class);
            assertThat(kafka.getSecurity().getProtocol()).isNull();
            assertThat(kafka.getProperties()).doesNotContainKeys("sasl.jaas.config", "sasl.mechanism");
        });
    }
}
