package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Manifest;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every values set renders into objects that parse into fabric8's typed model with no unknown field,
 * in the numbers expected, with the standard labels, release-scoped names, security contexts, probes
 * on Actuator's health groups, resources, config checksums and Services that reach their pods.
 */
class ChartRenderTest {

    private static final Map<Component, Integer> HTTP_PORTS = Map.of(Component.TRACKER, 8080, Component.SEED, 8081,
            Component.NODE_AGENT, 8082, Component.PROFILE, 8083, Component.ALLOCATOR, 8084);

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void everyManifestParsesIntoTheTypedModelWithNoUnknownField(ValuesSet set) {
        Rendered rendered = set.render();
        System.out.printf("values %-22s %s%n", set.file + ":", rendered.summary());
        for (Manifest m : rendered.manifests()) {
            assertThat(UnknownFields.of(m.typed())).as("%s %s %s (%s)", set.file, m.kind(), m.name(), m.source())
                    .isEmpty();
        }
        assertThat(rendered.counts()).as("objects per kind of %s", set.file).isEqualTo(set.expectedCounts);
    }

    @Test
    void theUnknownFieldCheckCatchesAMisspeltField() {
        Rendered bad = Rendered.parse("inline", """
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: x
                spec:
                  selector: {matchLabels: {a: b}}
                  template:
                    metadata: {labels: {a: b}}
                    spec:
                      containers:
                        - name: x
                          image: x
                          readinessProbe:
                            httpGet: {path: /, port: http, pth: /typo}
                """);
        assertThat(UnknownFields.of(bad.manifests().getFirst().typed()))
                .containsExactly("Deployment.spec.template.spec.containers[0].readinessProbe.httpGet: unknown field(s) [pth]");
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void everyObjectHasTheStandardLabelsAndAReleaseScopedName(ValuesSet set) {
        for (Manifest m : set.render().manifests()) {
            Map<String, String> labels = m.object().getMetadata().getLabels();
            assertThat(labels).as("%s %s", m.kind(), m.name())
                    .containsEntry("app.kubernetes.io/name", "bootswarm")
                    .containsEntry("app.kubernetes.io/instance", Chart.RELEASE)
                    .containsEntry("app.kubernetes.io/version", Chart.appVersion())
                    .containsEntry("app.kubernetes.io/managed-by", "Helm")
                    .containsEntry("app.kubernetes.io/part-of", "bootswarm")
                    .containsEntry("helm.sh/chart", "bootswarm-" + Chart.appVersion())
                    .containsKey("app.kubernetes.io/component");
            assertThat(m.name()).as("%s %s", m.kind(), m.name()).startsWith(Chart.RELEASE);
        }
    }

    @Test
    void namesArePrefixedWithTheReleaseAndTheChart() {
        Rendered rendered = Chart.render("prod", "defaults.yaml", Map.of());
        Set<String> names = rendered.manifests().stream().map(Manifest::name).collect(Collectors.toSet());
        assertThat(names).contains("prod-bootswarm-tracker", "prod-bootswarm-seed", "prod-bootswarm-profile",
                "prod-bootswarm-allocator", "prod-bootswarm-node-agent");
        assertThat(names).allMatch(n -> n.startsWith("prod-bootswarm"));
        assertThat(rendered.one(Deployment.class, "prod-bootswarm-tracker").getSpec().getTemplate().getMetadata()
                .getLabels()).containsEntry("app.kubernetes.io/instance", "prod");
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void podsRunAsUid65532WithAReadOnlyRootAndAWritableTmp(ValuesSet set) {
        Rendered rendered = set.render();
        boolean fuse = "true".equals(rendered.environment(rendered.container(Component.NODE_AGENT))
                .get("BOOTSWARM_AGENT_FUSE_ENABLED"));
        for (Component component : Component.values()) {
            PodSpec pod = rendered.podSpec(component);
            PodSecurityContext podContext = pod.getSecurityContext();
            assertThat(podContext.getRunAsNonRoot()).as("%s runAsNonRoot", component).isTrue();
            assertThat(podContext.getRunAsUser()).as("%s runAsUser", component).isEqualTo(65532L);
            assertThat(podContext.getRunAsGroup()).as("%s runAsGroup", component).isEqualTo(65532L);
            assertThat(podContext.getFsGroup()).as("%s fsGroup", component).isEqualTo(65532L);
            assertThat(pod.getAutomountServiceAccountToken()).as("%s token", component).isFalse();

            Container container = rendered.container(component);
            SecurityContext context = container.getSecurityContext();
            assertThat(context.getRunAsNonRoot()).as("%s", component).isTrue();
            assertThat(context.getRunAsUser()).as("%s", component).isEqualTo(65532L);
            assertThat(context.getReadOnlyRootFilesystem()).as("%s readOnlyRootFilesystem", component).isTrue();
            assertThat(context.getCapabilities().getDrop()).as("%s drops", component).containsExactly("ALL");
            boolean agentWithFuse = component == Component.NODE_AGENT && fuse;
            assertThat(context.getAllowPrivilegeEscalation()).as("%s allowPrivilegeEscalation", component)
                    .isEqualTo(agentWithFuse);
            assertThat(context.getCapabilities().getAdd()).as("%s adds", component)
                    .isEqualTo(agentWithFuse ? List.of("SYS_ADMIN") : List.of());
            assertThat(context.getPrivileged()).as("%s privileged", component).isNotEqualTo(Boolean.TRUE);

            VolumeMount tmp = container.getVolumeMounts().stream().filter(v -> v.getMountPath().equals("/tmp"))
                    .findFirst().orElseThrow(() -> new AssertionError(component + " mounts nothing at /tmp"));
            Volume volume = pod.getVolumes().stream().filter(v -> v.getName().equals(tmp.getName())).findFirst()
                    .orElseThrow();
            assertThat(volume.getEmptyDir()).as("%s /tmp is an emptyDir", component).isNotNull();
        }
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void probesAskActuatorsHealthGroupsOnTheHttpPort(ValuesSet set) {
        Rendered rendered = set.render();
        for (Component component : Component.values()) {
            Container container = rendered.container(component);
            ContainerPort http = container.getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst()
                    .orElseThrow(() -> new AssertionError(component + " has no http port"));
            assertThat(http.getContainerPort()).as("%s http port", component).isEqualTo(HTTP_PORTS.get(component));
            assertThat(rendered.environment(container)).as("%s", component)
                    .containsEntry("SERVER_PORT", String.valueOf(HTTP_PORTS.get(component)));
            assertProbe(component + " readiness", container.getReadinessProbe(), "/actuator/health/readiness");
            assertProbe(component + " liveness", container.getLivenessProbe(), "/actuator/health/liveness");
            assertProbe(component + " startup", container.getStartupProbe(), "/actuator/health/liveness");
        }
    }

    static void assertProbe(String what, Probe probe, String path) {
        assertThat(probe).as(what).isNotNull();
        assertThat(probe.getHttpGet().getPath()).as(what).isEqualTo(path);
        assertThat(probe.getHttpGet().getPort().getStrVal()).as(what + " port").isEqualTo("http");
        assertThat(probe.getPeriodSeconds()).as(what).isPositive();
        assertThat(probe.getFailureThreshold()).as(what).isPositive();
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void everyContainerHasRequestsAndLimits(ValuesSet set) {
        Rendered rendered = set.render();
        for (Manifest m : rendered.manifests()) {
            PodSpec pod = switch (m.typed()) {
                case Deployment d -> d.getSpec().getTemplate().getSpec();
                case StatefulSet s -> s.getSpec().getTemplate().getSpec();
                case io.fabric8.kubernetes.api.model.apps.DaemonSet d -> d.getSpec().getTemplate().getSpec();
                default -> null;
            };
            if (pod == null) {
                continue;
            }
            for (Container c : concat(pod.getInitContainers(), pod.getContainers())) {
                assertThat(c.getResources().getRequests()).as("%s/%s requests", m.name(), c.getName())
                        .containsKeys("cpu", "memory");
                assertThat(c.getResources().getLimits()).as("%s/%s limits", m.name(), c.getName())
                        .containsKeys("cpu", "memory");
            }
        }
    }

    @Test
    void aPodsConfigChecksumFollowsItsOwnConfigMapOnly() {
        Rendered before = ValuesSet.DEFAULTS.render();
        Rendered after = Chart.render("defaults.yaml", Map.of("tracker.seedUrl", "http://seed.elsewhere:8081"));
        for (Component component : Component.values()) {
            assertThat(before.podAnnotations(component).get("checksum/config")).as("%s", component)
                    .matches("[0-9a-f]{64}");
        }
        assertThat(after.podAnnotations(Component.TRACKER).get("checksum/config"))
                .isNotEqualTo(before.podAnnotations(Component.TRACKER).get("checksum/config"));
        for (Component other : List.of(Component.SEED, Component.PROFILE, Component.ALLOCATOR, Component.NODE_AGENT)) {
            assertThat(after.podAnnotations(other).get("checksum/config")).as("%s", other)
                    .isEqualTo(before.podAnnotations(other).get("checksum/config"));
        }
        Rendered newSecret = Chart.render("defaults.yaml", Map.of("postgresql.external.existingSecret", "rotated"));
        assertThat(newSecret.podAnnotations(Component.SEED).get("checksum/config"))
                .isNotEqualTo(before.podAnnotations(Component.SEED).get("checksum/config"));
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void servicesAreClusterIpsThatSelectTheirPodsNamedPorts(ValuesSet set) {
        Rendered rendered = set.render();
        Map<Component, Set<String>> expectedPorts = Map.of(Component.TRACKER, Set.of("http"), Component.SEED,
                Set.of("http", "peer"), Component.PROFILE, Set.of("http"), Component.ALLOCATOR, Set.of("http"));
        for (var e : expectedPorts.entrySet()) {
            Component component = e.getKey();
            Service service = rendered.one(Service.class, component.objectName());
            assertThat(service.getSpec().getType()).isEqualTo("ClusterIP");
            assertThat(service.getSpec().getPorts()).extracting(ServicePort::getName)
                    .containsExactlyInAnyOrderElementsOf(e.getValue());
            Container container = rendered.container(component);
            for (ServicePort port : service.getSpec().getPorts()) {
                ContainerPort target = container.getPorts().stream()
                        .filter(p -> p.getName().equals(port.getTargetPort().getStrVal())).findFirst()
                        .orElseThrow(() -> new AssertionError(service.getMetadata().getName() + " targets "
                                + port.getTargetPort() + " which " + component + " does not name"));
                // agents and the tracker are told the seed's ports: the Service's must be the container's
                assertThat(port.getPort()).as("%s %s", component, port.getName()).isEqualTo(target.getContainerPort());
            }
            assertThat(podLabels(rendered, component)).containsAllEntriesOf(service.getSpec().getSelector());
        }
    }

    private static Map<String, String> podLabels(Rendered rendered, Component component) {
        HasMetadata workload = rendered.one(component.workload, component.objectName());
        return switch (workload) {
            case Deployment d -> d.getSpec().getTemplate().getMetadata().getLabels();
            case StatefulSet s -> s.getSpec().getTemplate().getMetadata().getLabels();
            case io.fabric8.kubernetes.api.model.apps.DaemonSet d -> d.getSpec().getTemplate().getMetadata().getLabels();
            default -> throw new IllegalStateException();
        };
    }

    @Test
    void theSeedKeepsItsImagesOnAVolumeClaimOrAnExistingClaim() {
        StatefulSet seed = ValuesSet.DEFAULTS.render().one(StatefulSet.class, Component.SEED.objectName());
        assertThat(seed.getSpec().getReplicas()).isEqualTo(1);
        assertThat(seed.getSpec().getVolumeClaimTemplates()).singleElement().satisfies(claim -> {
            assertThat(claim.getMetadata().getName()).isEqualTo("store");
            assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("100Gi");
            assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteOnce");
        });
        Container container = ValuesSet.DEFAULTS.render().container(Component.SEED);
        assertThat(container.getVolumeMounts()).anyMatch(m -> m.getName().equals("store")
                && m.getMountPath().equals("/var/lib/bootswarm/seed"));
        assertThat(ValuesSet.DEFAULTS.render().environment(container))
                .containsEntry("BOOTSWARM_SEED_STORAGE_DIR", "/var/lib/bootswarm/seed")
                .containsEntry("BOOTSWARM_SEED_ADVERTISED_HOST", "bootswarm-seed.swarm.svc.cluster.local")
                .containsEntry("BOOTSWARM_SEED_ADVERTISED_API_URL", "http://bootswarm-seed.swarm.svc.cluster.local:8081")
                .containsEntry("BOOTSWARM_SEED_TRACKER_URL", "http://bootswarm-tracker.swarm.svc.cluster.local:8080");

        Rendered external = ValuesSet.EXTERNAL.render();
        StatefulSet existing = external.one(StatefulSet.class, Component.SEED.objectName());
        assertThat(existing.getSpec().getVolumeClaimTemplates()).isEmpty();
        assertThat(existing.getSpec().getTemplate().getSpec().getVolumes())
                .anyMatch(v -> v.getName().equals("store") && v.getPersistentVolumeClaim() != null
                        && v.getPersistentVolumeClaim().getClaimName().equals("bootswarm-image-store"));
        assertThat(external.environment(external.container(Component.SEED)))
                .containsEntry("BOOTSWARM_SEED_UPLOAD_RATE", "400MB");
        // the allocator splits what the seed uploads, unless told otherwise
        assertThat(external.environment(external.container(Component.ALLOCATOR)))
                .containsEntry("BOOTSWARM_ALLOCATOR_SEED_UPLOAD", "400MB");
    }

    @Test
    void theServicesFindEachOtherByTheirServicesDnsNames() {
        Rendered rendered = ValuesSet.DEFAULTS.render();
        String seed = "http://bootswarm-seed.swarm.svc.cluster.local:8081";
        assertThat(rendered.environment(rendered.container(Component.TRACKER)))
                .containsEntry("BOOTSWARM_TRACKER_SEED_URL", seed);
        assertThat(rendered.environment(rendered.container(Component.PROFILE)))
                .containsEntry("BOOTSWARM_PROFILE_SEED_URL", seed);
        assertThat(rendered.environment(rendered.container(Component.NODE_AGENT)))
                .containsEntry("BOOTSWARM_AGENT_SEED_URL", seed)
                .containsEntry("BOOTSWARM_AGENT_TRACKER_URL", "http://bootswarm-tracker.swarm.svc.cluster.local:8080")
                .containsEntry("BOOTSWARM_AGENT_PROFILE_URL", "http://bootswarm-profile.swarm.svc.cluster.local:8083");
        for (Component component : List.of(Component.TRACKER, Component.SEED, Component.PROFILE, Component.ALLOCATOR)) {
            assertThat(rendered.environment(rendered.container(component))).as("%s", component)
                    .containsEntry("SPRING_DATASOURCE_URL", "jdbc:postgresql://postgres.db.example.internal:5432/bootswarm")
                    .containsEntry("SPRING_DATASOURCE_USERNAME", "bootswarm")
                    .containsEntry("SPRING_KAFKA_BOOTSTRAP_SERVERS", "kafka-0.kafka.example.internal:9092");
        }
        Rendered external = ValuesSet.EXTERNAL.render();
        assertThat(external.environment(external.container(Component.TRACKER)))
                .containsEntry("SPRING_DATASOURCE_URL",
                        "jdbc:postgresql://pg.prod.example.internal:6432/swarm?sslmode=verify-full&ApplicationName=bootswarm")
                .containsEntry("SPRING_DATASOURCE_USERNAME", "swarm_app");
    }

    @SafeVarargs
    private static <T> List<T> concat(List<T>... lists) {
        return java.util.Arrays.stream(lists).flatMap(List::stream).toList();
    }
}
