package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.EnvVar;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Each service logs in to Kafka as its own principal, its password from the operator's Secret under
 * the principal's name; connecting without authentication is an explicit choice, refused with a
 * SASL value that cannot work.
 */
class KafkaLoginTest {

    @Test
    void byDefaultEachServiceLogsInAsItsOwnPrincipalWithItsPasswordFromTheSecret() {
        Rendered rendered = ValuesSet.DEFAULTS.render();
        for (Component component : Component.values()) {
            assertThat(rendered.environment(rendered.container(component))).as("%s", component)
                    .containsEntry("BOOTSWARM_KAFKA_SECURITY", "sasl")
                    .containsEntry("BOOTSWARM_KAFKA_MECHANISM", "SCRAM-SHA-512")
                    .containsEntry("BOOTSWARM_KAFKA_PROTOCOL", "SASL_PLAINTEXT")
                    .doesNotContainKey("BOOTSWARM_KAFKA_USERNAME");
            EnvVar password = rendered.container(component).getEnv().stream()
                    .filter(e -> e.getName().equals("BOOTSWARM_KAFKA_PASSWORD")).findFirst().orElseThrow();
            assertThat(password.getValueFrom().getSecretKeyRef().getName()).isEqualTo("bootswarm-kafka");
            assertThat(password.getValueFrom().getSecretKeyRef().getKey()).as("%s", component).isEqualTo(component.image);
        }
    }

    @Test
    void withoutAuthenticationOnlyWhenSaidSo() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        for (Component component : Component.values()) {
            assertThat(rendered.environment(rendered.container(component))).as("%s", component)
                    .containsEntry("BOOTSWARM_KAFKA_SECURITY", "none")
                    .doesNotContainKeys("BOOTSWARM_KAFKA_PASSWORD", "BOOTSWARM_KAFKA_MECHANISM");
        }
        assertThat(Chart.renderError(null, Map.ofEntries(Map.entry("postgresql.external.host", "pg.example"),
                Map.entry("postgresql.external.existingSecret", "db"),
                Map.entry("kafka.external.bootstrapServers", "kafka:9092"),
                Map.entry("auth.issuerUri", "https://idp.example.com"), Map.entry("tracker.auth.existingSecret", "t"),
                Map.entry("seed.auth.existingSecret", "s"), Map.entry("profile.auth.existingSecret", "p"),
                Map.entry("allocator.auth.existingSecret", "a"), Map.entry("nodeAgent.auth.existingSecret", "n"))))
                .contains("kafka.sasl.existingSecret is required when kafka.security=sasl");
        assertThat(Chart.renderError("all-on.yaml", Map.of("kafka.security", "sasl",
                "kafka.sasl.existingSecret", "bootswarm-kafka")))
                .contains("kafka.embedded has no SASL: with it set kafka.security=none");
    }
}
