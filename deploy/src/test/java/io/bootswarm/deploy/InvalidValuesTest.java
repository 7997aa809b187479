package io.bootswarm.deploy;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Values that must not install fail rendering, with the message the chart or its schema writes. */
class InvalidValuesTest {

    @Test
    void anExternalPostgresqlWithoutItsSecretFails() {
        String error = Chart.renderError(null, Map.of("postgresql.external.host", "pg.example", "kafka.external.bootstrapServers",
                "kafka:9092"));
        assertThat(error).contains("postgresql.external.existingSecret is required: the name of a Secret that holds the "
                + "PostgreSQL password under postgresql.external.existingSecretPasswordKey (or set "
                + "postgresql.embedded.enabled=true, for evaluation)");
    }

    @Test
    void anExternalPostgresqlWithoutAHostFails() {
        String error = Chart.renderError(null, Map.of("postgresql.external.existingSecret", "db", "kafka.external.bootstrapServers",
                "kafka:9092"));
        assertThat(error).contains("postgresql.external.host is required: the PostgreSQL server of the services (or set "
                + "postgresql.embedded.enabled=true to run one in the chart, for evaluation)");
    }

    @Test
    void anExternalKafkaWithoutBootstrapServersFails() {
        String error = Chart.renderError(null, Map.of("postgresql.external.host", "pg.example",
                "postgresql.external.existingSecret", "db"));
        assertThat(error).contains("kafka.external.bootstrapServers is required: the Kafka brokers of the services, "
                + "host:port[,host:port] (or set kafka.embedded.enabled=true to run one in the chart, for evaluation)");
    }

    @Test
    void theInChartPostgresqlHasNoDefaultPassword() {
        String error = Chart.renderError(null, Map.of("postgresql.embedded.enabled", "true",
                "kafka.external.bootstrapServers", "kafka:9092"));
        assertThat(error).contains("postgresql.embedded.password (or postgresql.embedded.existingSecret) is required when "
                + "postgresql.embedded.enabled: the chart bakes in no default password");
        // an existing Secret is enough
        Chart.Rendered rendered = Chart.render(null, Map.of("postgresql.embedded.enabled", "true",
                "postgresql.embedded.existingSecret", "pg-credentials", "kafka.external.bootstrapServers", "kafka:9092",
                "auth.issuerUri", "https://idp.example.com", "tracker.auth.existingSecret", "t",
                "seed.auth.existingSecret", "s", "profile.auth.existingSecret", "p", "allocator.auth.existingSecret", "a",
                "nodeAgent.auth.existingSecret", "n",
                "kafka.sasl.existingSecret", "kafka-credentials"));

        assertThat(rendered.counts()).doesNotContainKey("Secret");
    }

    @Test
    void aBadCacheTypeFailsWithTheAllowedModes() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("nodeAgent.cache.type", "hostpath")))
                .contains("at '/nodeAgent/cache/type': value must be one of 'hostPath', 'emptyDir'");
    }

    @Test
    void aBadUpdateStrategyFailsWithTheAllowedStrategies() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("nodeAgent.updateStrategy", "Recreate")))
                .contains("at '/nodeAgent/updateStrategy': value must be one of 'RollingUpdate', 'OnDelete'");
    }

    @Test
    void aMisspeltValueFails() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("tracker.replica", "2")))
                .contains("at '/tracker': additional properties 'replica' not allowed");
        assertThat(Chart.renderError("defaults.yaml", Map.of("nodeAgent.fuse.enable", "true")))
                .contains("at '/nodeAgent/fuse': additional properties 'enable' not allowed");
        assertThat(Chart.renderError("defaults.yaml", Map.of("postgresql.external.passwrod", "x")))
                .contains("at '/postgresql/external': additional properties 'passwrod' not allowed");
    }

    @Test
    void aLoopbackNbdAddressOffTheHostNetworkFails() {
        assertThat(Chart.renderError("host-network-off.yaml", Map.of("nodeAgent.nbd.bindAddress", "127.0.0.1")))
                .contains("nodeAgent.nbd.bindAddress must not be a loopback address when nodeAgent.hostNetwork is false: "
                        + "the hypervisor on the node could not reach the NBD server in the pod (leave it empty for 0.0.0.0)");
    }

    @Test
    void anIngressWithoutHostsFails() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("ingress.enabled", "true")))
                .contains("ingress.enabled needs at least one of ingress.hosts.tracker, .seed, .profile, .allocator");
    }

    @Test
    void aPortOutOfRangeFails() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("seed.peerPort", "70000")))
                .contains("at '/seed/peerPort'");
    }
}
