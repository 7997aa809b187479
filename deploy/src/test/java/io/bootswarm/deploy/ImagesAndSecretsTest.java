package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretKeySelector;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Images the build makes, and passwords that only ever travel in Secrets. */
class ImagesAndSecretsTest {

    /** the password all-on.yaml gives the in-chart PostgreSQL */
    private static final String PASSWORD = "all-on-Pa55word-never-in-a-configmap";

    @Test
    void byDefaultTheImagesAreTheBuildsAtTheChartsAppVersion() {
        Rendered rendered = ValuesSet.DEFAULTS.render();
        String version = Chart.appVersion();
        assertThat(version).isEqualTo("0.1.0-SNAPSHOT");
        for (Component component : Component.values()) {
            assertThat(rendered.container(component).getImage()).as("%s", component)
                    .isEqualTo("bootswarm/" + component.image + ":" + version);
        }
        assertThat(rendered.podSpec(Component.NODE_AGENT).getInitContainers().getFirst().getImage())
                .isEqualTo("bootswarm/node-agent:" + version);
    }

    @Test
    void imagesFollowTheRegistryAndTagValues() {
        Rendered external = ValuesSet.EXTERNAL.render();
        for (Component component : Component.values()) {
            assertThat(external.container(component).getImage()).as("%s", component)
                    .isEqualTo("registry.example.com/platform/bootswarm/" + component.image + ":1.4.2");
            assertThat(external.podSpec(component).getImagePullSecrets()).as("%s", component)
                    .singleElement().satisfies(s -> assertThat(s.getName()).isEqualTo("registry-credentials"));
        }
        Rendered tagOnly = Chart.render("defaults.yaml", Map.of("image.tag", "2.0.0-rc.1"));
        for (Component component : Component.values()) {
            assertThat(tagOnly.container(component).getImage()).as("%s", component)
                    .isEqualTo("bootswarm/" + component.image + ":2.0.0-rc.1");
        }
        Rendered noRegistry = Chart.render("defaults.yaml", Map.of("image.registry", ""));
        assertThat(noRegistry.container(Component.SEED).getImage()).isEqualTo("seed-service:" + Chart.appVersion());
    }

    @Test
    void theInChartDatabaseAndBrokerUseTheirOfficialImages() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        assertThat(rendered.one(StatefulSet.class, "bootswarm-postgresql").getSpec().getTemplate().getSpec()
                .getContainers().getFirst().getImage()).isEqualTo("postgres:17");
        assertThat(rendered.one(StatefulSet.class, "bootswarm-kafka").getSpec().getTemplate().getSpec()
                .getContainers().getFirst().getImage()).isEqualTo("apache/kafka:4.1.1");
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void noConfigMapHoldsASecret(ValuesSet set) {
        Rendered rendered = set.render();
        String encoded = Base64.getEncoder().encodeToString(PASSWORD.getBytes(StandardCharsets.UTF_8));
        for (ConfigMap map : rendered.all(ConfigMap.class)) {
            map.getData().forEach((key, value) -> {
                // the identity provider's token endpoint is an address, not a token; the peer-token key file is
                // a path into a Secret's volume, not the key
                String name = key.replaceAll("_TOKEN_URI$", "_URI").replaceAll("_PEER_TOKEN_KEY_FILE$", "_KEY_FILE");
                assertThat(name).as("%s key", map.getMetadata().getName()).doesNotContainIgnoringCase("PASSWORD")
                        .doesNotContainIgnoringCase("SECRET").doesNotContainIgnoringCase("TOKEN");
                assertThat(value).as("%s %s", map.getMetadata().getName(), key).doesNotContain(PASSWORD)
                        .doesNotContain(encoded);
            });
        }
        // nor does any literal env value, of any container
        for (Container c : allContainers(rendered)) {
            for (EnvVar var : c.getEnv()) {
                assertThat(var.getValue()).as("%s %s", c.getName(), var.getName()).isNotEqualTo(PASSWORD);
                if (var.getName().contains("PASSWORD") || var.getName().contains("SECRET")) {
                    assertThat(var.getValueFrom()).as("%s %s", c.getName(), var.getName()).isNotNull();
                    assertThat(var.getValueFrom().getSecretKeyRef()).as("%s %s", c.getName(), var.getName()).isNotNull();
                }
            }
        }
    }

    @Test
    void theInChartPasswordIsInTheChartsSecretAndReachesEveryServiceByReference() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        Secret secret = rendered.one(Secret.class, "bootswarm-postgresql");
        assertThat(new String(Base64.getDecoder().decode(secret.getData().get("password")), StandardCharsets.UTF_8))
                .isEqualTo(PASSWORD);
        for (Component component : List.of(Component.TRACKER, Component.SEED, Component.PROFILE, Component.ALLOCATOR)) {
            assertThat(secretRef(rendered.container(component), "SPRING_DATASOURCE_PASSWORD")).as("%s", component)
                    .isEqualTo("bootswarm-postgresql/password");
        }
        Container postgres = rendered.one(StatefulSet.class, "bootswarm-postgresql").getSpec().getTemplate().getSpec()
                .getContainers().getFirst();
        assertThat(secretRef(postgres, "POSTGRES_PASSWORD")).isEqualTo("bootswarm-postgresql/password");
        // the agent has no database
        assertThat(rendered.environment(rendered.container(Component.NODE_AGENT)).keySet())
                .noneMatch(k -> k.startsWith("SPRING_DATASOURCE"));
    }

    @Test
    void anExternalPasswordComesFromTheExistingSecret() {
        Rendered rendered = ValuesSet.EXTERNAL.render();
        assertThat(rendered.all(Secret.class)).isEmpty();
        for (Component component : List.of(Component.TRACKER, Component.SEED, Component.PROFILE, Component.ALLOCATOR)) {
            assertThat(secretRef(rendered.container(component), "SPRING_DATASOURCE_PASSWORD")).as("%s", component)
                    .isEqualTo("swarm-db-credentials/app-password");
        }
    }

    private static String secretRef(Container container, String name) {
        EnvVar var = container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no " + name));
        SecretKeySelector ref = var.getValueFrom().getSecretKeyRef();
        return ref.getName() + "/" + ref.getKey();
    }

    static List<Container> allContainers(Rendered rendered) {
        List<Container> containers = new ArrayList<>();
        for (var m : rendered.manifests()) {
            PodSpec pod = switch (m.typed()) {
                case Deployment d -> d.getSpec().getTemplate().getSpec();
                case StatefulSet s -> s.getSpec().getTemplate().getSpec();
                case DaemonSet d -> d.getSpec().getTemplate().getSpec();
                default -> null;
            };
            if (pod != null) {
                containers.addAll(pod.getInitContainers());
                containers.addAll(pod.getContainers());
            }
        }
        return containers;
    }
}
