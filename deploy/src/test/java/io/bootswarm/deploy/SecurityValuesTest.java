package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's security values: the identity provider every service takes tokens from (auth.issuerUri,
 * required), each component's own client from an existing Secret, the agents' identity at the tracker,
 * NBD over TLS whenever the NBD listener is beyond loopback, and optional HTTPS between the services.
 */
class SecurityValuesTest {

    private static final Map<Component, String> CLIENT_SECRETS = Map.of(
            Component.TRACKER, "bootswarm-tracker-client",
            Component.SEED, "bootswarm-seed-client",
            Component.PROFILE, "bootswarm-profile-client",
            Component.ALLOCATOR, "bootswarm-allocator-client",
            Component.NODE_AGENT, "bootswarm-agent-client");

    @ParameterizedTest
    @EnumSource(Component.class)
    void everyComponentTakesTheIssuerAndItsOwnClientFromItsSecret(Component component) {
        Rendered rendered = ValuesSet.DEFAULTS.render();
        Container container = rendered.container(component);

        assertThat(rendered.environment(container))
                .containsEntry("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI", "https://idp.example.com/realms/bootswarm")
                .doesNotContainKey("BOOTSWARM_SECURITY_CLIENT_TOKEN_URI");
        assertThat(secretRef(container, "BOOTSWARM_SECURITY_CLIENT_ID"))
                .extracting(SecretKeySelector::getName, SecretKeySelector::getKey)
                .containsExactly(CLIENT_SECRETS.get(component), "client-id");
        assertThat(secretRef(container, "BOOTSWARM_SECURITY_CLIENT_SECRET"))
                .extracting(SecretKeySelector::getName, SecretKeySelector::getKey)
                .containsExactly(CLIENT_SECRETS.get(component), "client-secret");
        // the credentials are never in the ConfigMap
        assertThat(rendered.environment(container).get("BOOTSWARM_SECURITY_CLIENT_SECRET")).isEqualTo("<valueFrom>");
    }

    @Test
    void theTokenEndpointIsTheOperatorsWhenGiven() {
        Rendered rendered = ValuesSet.EXTERNAL.render();
        for (Component component : Component.values()) {
            assertThat(rendered.environment(rendered.container(component)))
                    .as(component.label)
                    .containsEntry("SPRING_SECURITY_OAUTH2_RESOURCESERVER_JWT_ISSUER_URI",
                            "https://keycloak.prod.example.internal/realms/bootswarm")
                    .containsEntry("BOOTSWARM_SECURITY_CLIENT_TOKEN_URI",
                            "https://keycloak.prod.example.internal/realms/bootswarm/protocol/openid-connect/token");
        }
    }

    @Test
    void agentsShareOneClientSoTheTrackerAcceptsAnyAgentForAnyHostByDefault() {
        Rendered plain = ValuesSet.DEFAULTS.render();
        assertThat(plain.environment(plain.container(Component.TRACKER)))
                .containsEntry("BOOTSWARM_TRACKER_HOSTS_AGENT_IDENTITY", "shared");
        Rendered perHost = ValuesSet.EXTERNAL.render();
        assertThat(perHost.environment(perHost.container(Component.TRACKER)))
                .containsEntry("BOOTSWARM_TRACKER_HOSTS_AGENT_IDENTITY", "per-host");
        assertThat(Chart.renderError("defaults.yaml", Map.of("tracker.hosts.agentIdentity", "perhost")))
                .contains("at '/tracker/hosts/agentIdentity': value must be one of 'shared', 'per-host'");
    }

    @Test
    void withoutAnIssuerTheChartDoesNotRender() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("auth.issuerUri", "")))
                .contains("auth.issuerUri is required: the OAuth2 issuer (your identity provider, e.g. "
                        + "https://idp.example.com/realms/bootswarm) whose JWTs the services accept; every service "
                        + "refuses to start without one");
        assertThat(Chart.renderError("defaults.yaml", Map.of("auth.issuerUri", "idp.example.com")))
                .contains("at '/auth/issuerUri'");
    }

    @Test
    void withoutAComponentsClientTheChartDoesNotRender() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("seed.auth.existingSecret", "")))
                .contains("seed.auth.existingSecret is required: a Secret with keys client-id and client-secret of the "
                        + "seed's client (role seed) at the identity provider");
        assertThat(Chart.renderError("defaults.yaml", Map.of("nodeAgent.auth.existingSecret", "")))
                .contains("nodeAgent.auth.existingSecret is required");
        // no allocator, no allocator client
        Rendered rendered = Chart.render("defaults.yaml", Map.of("allocator.enabled", "false",
                "allocator.auth.existingSecret", ""));
        assertThat(rendered.deploys(Component.ALLOCATOR)).isFalse();
    }

    @Test
    void anNbdListenerBeyondLoopbackIsNotRenderedWithoutTls() {
        assertThat(Chart.renderError("host-network-off.yaml", Map.of("nodeAgent.nbd.tls.existingSecret", "")))
                .contains("nodeAgent.nbd.tls.existingSecret is required: the NBD server would listen on 0.0.0.0, beyond "
                        + "loopback, and NBD has no authentication of its own");
        assertThat(Chart.renderError("defaults.yaml", Map.of("nodeAgent.nbd.bindAddress", "10.0.0.5")))
                .contains("the NBD server would listen on 10.0.0.5, beyond loopback");
        // on the node's loopback it may stay plain (the hypervisor is on the node)
        Rendered loopback = ValuesSet.DEFAULTS.render();
        Map<String, String> env = loopback.environment(loopback.container(Component.NODE_AGENT));
        assertThat(env).containsEntry("BOOTSWARM_AGENT_NBD_BIND_ADDRESS", "127.0.0.1")
                .doesNotContainKeys("BOOTSWARM_AGENT_NBD_TLS_MODE", "SPRING_SSL_BUNDLE_PEM_NBD_KEYSTORE_CERTIFICATE");
        assertThat(loopback.podSpec(Component.NODE_AGENT).getVolumes()).extracting(Volume::getName).doesNotContain("nbd-tls");
        assertThat(Chart.renderError("defaults.yaml", Map.of("nodeAgent.nbd.tls.verifyClients", "true")))
                .contains("nodeAgent.nbd.tls.verifyClients needs nodeAgent.nbd.tls.existingSecret");
    }

    @Test
    void nbdTlsComesFromTheSecretMountedReadOnly() {
        Rendered rendered = ValuesSet.HOST_NETWORK_OFF.render();
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(rendered.environment(agent))
                .containsEntry("BOOTSWARM_AGENT_NBD_BIND_ADDRESS", "0.0.0.0")
                .containsEntry("BOOTSWARM_AGENT_NBD_TLS_MODE", "require")
                .containsEntry("BOOTSWARM_AGENT_NBD_TLS_BUNDLE", "nbd")
                .containsEntry("SPRING_SSL_BUNDLE_PEM_NBD_KEYSTORE_CERTIFICATE", "file:/etc/bootswarm/nbd-tls/tls.crt")
                .containsEntry("SPRING_SSL_BUNDLE_PEM_NBD_KEYSTORE_PRIVATE_KEY", "file:/etc/bootswarm/nbd-tls/tls.key")
                .doesNotContainKey("SPRING_SSL_BUNDLE_PEM_NBD_TRUSTSTORE_CERTIFICATE");
        Volume volume = volume(rendered.podSpec(Component.NODE_AGENT), "nbd-tls");
        assertThat(volume.getSecret().getSecretName()).isEqualTo("bootswarm-nbd-tls");
        assertThat(volume.getSecret().getDefaultMode()).isEqualTo(0440);
        VolumeMount mount = mount(agent, "nbd-tls");
        assertThat(mount.getMountPath()).isEqualTo("/etc/bootswarm/nbd-tls");
        assertThat(mount.getReadOnly()).isTrue();

        Rendered verifying = ValuesSet.ALL_ON.render();
        assertThat(verifying.environment(verifying.container(Component.NODE_AGENT)))
                .containsEntry("SPRING_SSL_BUNDLE_PEM_NBD_TRUSTSTORE_CERTIFICATE", "file:/etc/bootswarm/nbd-tls/ca.crt");
    }

    @Test
    void servicesStayOnPlainHttpInsideTheClusterUnlessGivenACertificate() {
        Rendered plain = ValuesSet.DEFAULTS.render();
        for (Component component : Component.values()) {
            Container container = plain.container(component);
            assertThat(plain.environment(container)).as(component.label).doesNotContainKey("SERVER_SSL_BUNDLE");
            assertThat(container.getReadinessProbe().getHttpGet().getScheme()).isEqualTo("HTTP");
        }
        assertThat(plain.environment(plain.container(Component.NODE_AGENT)))
                .containsEntry("BOOTSWARM_AGENT_TRACKER_URL", "http://bootswarm-tracker.swarm.svc.cluster.local:8080");
    }

    @ParameterizedTest
    @EnumSource(Component.class)
    void withACertificateEveryServiceServesAndCallsHttps(Component component) {
        Rendered rendered = ValuesSet.ALL_ON.render();
        Container container = rendered.container(component);
        assertThat(rendered.environment(container))
                .containsEntry("SERVER_SSL_BUNDLE", "server")
                .containsEntry("SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_CERTIFICATE", "file:/etc/bootswarm/tls/tls.crt")
                .containsEntry("SPRING_SSL_BUNDLE_PEM_SERVER_KEYSTORE_PRIVATE_KEY", "file:/etc/bootswarm/tls/tls.key")
                .containsEntry("SPRING_SSL_BUNDLE_PEM_SERVER_TRUSTSTORE_CERTIFICATE", "file:/etc/bootswarm/tls/ca.crt");
        for (Probe probe : new Probe[] {container.getStartupProbe(), container.getLivenessProbe(), container.getReadinessProbe()}) {
            assertThat(probe.getHttpGet().getScheme()).isEqualTo("HTTPS");
        }
        assertThat(volume(rendered.podSpec(component), "tls").getSecret().getSecretName()).isEqualTo("bootswarm-https");
        assertThat(mount(container, "tls").getReadOnly()).isTrue();
        if (component == Component.NODE_AGENT) {
            assertThat(rendered.environment(container))
                    .containsEntry("BOOTSWARM_AGENT_TRACKER_URL", "https://bootswarm-tracker.swarm.svc.cluster.local:8080");
            assertThat(container.getEnv()).filteredOn(e -> e.getName().equals("BOOTSWARM_AGENT_API_URL"))
                    .extracting(EnvVar::getValue).containsExactly("https://$(BOOTSWARM_AGENT_ADVERTISED_HOST):8082");
        }
    }

    @Test
    void anInstallWithoutValuesFilesNeedsOnlyTheIdentityProviderBesideTheDatabaseAndKafka() {
        Map<String, String> sets = new HashMap<>(Map.of("postgresql.embedded.enabled", "true",
                "postgresql.embedded.password", "x", "kafka.embedded.enabled", "true", "kafka.security", "none",
                "auth.issuerUri", "https://idp.example.com"));
        CLIENT_SECRETS.forEach((c, secret) -> sets.put((c == Component.NODE_AGENT ? "nodeAgent" : c.label)
                + ".auth.existingSecret", secret));
        assertThat(Chart.render(null, sets).deploys(Component.NODE_AGENT)).isTrue();
    }

    private static SecretKeySelector secretRef(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValueFrom().getSecretKeyRef())
                .orElseThrow(() -> new AssertionError(container.getName() + " has no " + name));
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name));
    }

    private static VolumeMount mount(Container container, String volume) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " does not mount " + volume));
    }
}
