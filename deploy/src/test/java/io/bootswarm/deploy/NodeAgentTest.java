package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** The node-agent DaemonSet: host network, host directories, probes, ports, FUSE and update strategy. */
class NodeAgentTest {

    private static final String AGENT = Component.NODE_AGENT.objectName();

    @Test
    void byDefaultAnAgentRunsOnTheHostNetworkAndServesNbdOnLoopback() {
        Rendered rendered = ValuesSet.DEFAULTS.render();
        PodSpec pod = rendered.podSpec(Component.NODE_AGENT);
        assertThat(pod.getHostNetwork()).isTrue();
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirstWithHostNet");
        Map<String, String> env = rendered.environment(rendered.container(Component.NODE_AGENT));
        assertThat(env)
                .containsEntry("BOOTSWARM_AGENT_NBD_BIND_ADDRESS", "127.0.0.1")
                .containsEntry("BOOTSWARM_AGENT_NBD_ADVERTISED_HOST", "127.0.0.1")
                .containsEntry("BOOTSWARM_AGENT_NBD_PORT", "10809")
                .containsEntry("BOOTSWARM_AGENT_NBD_ADVERTISED_PORT", "10809")
                .containsEntry("BOOTSWARM_AGENT_NBD_UNIX_SOCKET", "/run/bootswarm/nbd.sock")
                .containsEntry("BOOTSWARM_AGENT_DATA_DIRECTORY", "/var/lib/bootswarm/agent")
                .containsEntry("BOOTSWARM_AGENT_PEER_PORT", "6882");
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(fieldRef(agent, "BOOTSWARM_AGENT_HOST_NAME")).contains("spec.nodeName");
        assertThat(fieldRef(agent, "BOOTSWARM_AGENT_ADVERTISED_HOST")).contains("status.podIP");
    }

    @Test
    void offTheHostNetworkNbdListensOnThePodAndAdvertisesItsAddress() {
        Rendered rendered = ValuesSet.HOST_NETWORK_OFF.render();
        PodSpec pod = rendered.podSpec(Component.NODE_AGENT);
        assertThat(pod.getHostNetwork()).isNotEqualTo(Boolean.TRUE);
        assertThat(pod.getDnsPolicy()).isEqualTo("ClusterFirst");
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(rendered.environment(agent)).containsEntry("BOOTSWARM_AGENT_NBD_BIND_ADDRESS", "0.0.0.0");
        assertThat(fieldRef(agent, "BOOTSWARM_AGENT_NBD_ADVERTISED_HOST")).contains("status.podIP");
        assertThat(volume(pod, "cache").getEmptyDir().getSizeLimit().toString()).isEqualTo("50Gi");
        assertThat(volume(pod, "cache").getHostPath()).isNull();
    }

    @ParameterizedTest
    @EnumSource(value = ValuesSet.class, names = {"DEFAULTS", "EXTERNAL", "FUSE_ON", "ALL_ON"})
    void theCacheAndTheSocketDirectoryLiveOnTheHost(ValuesSet set) {
        Rendered rendered = set.render();
        PodSpec pod = rendered.podSpec(Component.NODE_AGENT);
        Volume cache = volume(pod, "cache");
        assertThat(cache.getHostPath().getPath()).isEqualTo("/var/lib/bootswarm/agent");
        assertThat(cache.getHostPath().getType()).isEqualTo("DirectoryOrCreate");
        Volume sockets = volume(pod, "sockets");
        assertThat(sockets.getHostPath().getPath()).isEqualTo("/run/bootswarm");
        assertThat(sockets.getHostPath().getType()).isEqualTo("DirectoryOrCreate");
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(mountPath(agent, "cache")).isEqualTo("/var/lib/bootswarm/agent");
        assertThat(mountPath(agent, "sockets")).isEqualTo("/run/bootswarm");
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void anInitContainerHandsTheHostDirectoriesToTheAgentsUserWithOnlyChown(ValuesSet set) {
        Rendered rendered = set.render();
        PodSpec pod = rendered.podSpec(Component.NODE_AGENT);
        Container init = pod.getInitContainers().stream().filter(c -> c.getName().equals("chown")).findFirst()
                .orElseThrow();
        assertThat(init.getImage()).isEqualTo(rendered.container(Component.NODE_AGENT).getImage());
        assertThat(init.getCommand()).containsExactly("chown", "65532:65532", "/var/lib/bootswarm/agent", "/run/bootswarm");
        assertThat(init.getSecurityContext().getRunAsUser()).isZero();
        assertThat(init.getSecurityContext().getRunAsNonRoot()).isFalse();
        assertThat(init.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        assertThat(init.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(init.getSecurityContext().getCapabilities().getAdd()).containsExactly("CHOWN");
        assertThat(mountPath(init, "cache")).isEqualTo("/var/lib/bootswarm/agent");
        assertThat(mountPath(init, "sockets")).isEqualTo("/run/bootswarm");
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void probesAndPorts(ValuesSet set) {
        Container agent = set.render().container(Component.NODE_AGENT);
        assertThat(agent.getPorts()).extracting(ContainerPort::getName, ContainerPort::getContainerPort)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("http", 8082),
                        org.assertj.core.groups.Tuple.tuple("peer", 6882),
                        org.assertj.core.groups.Tuple.tuple("nbd", 10809));
        ChartRenderTest.assertProbe("startup", agent.getStartupProbe(), "/actuator/health/liveness");
        ChartRenderTest.assertProbe("readiness", agent.getReadinessProbe(), "/actuator/health/readiness");
        ChartRenderTest.assertProbe("liveness", agent.getLivenessProbe(), "/actuator/health/liveness");
        // long enough to re-verify a large cache before liveness may kill the agent: 30 minutes
        assertThat(agent.getStartupProbe().getPeriodSeconds() * agent.getStartupProbe().getFailureThreshold())
                .isEqualTo(30 * 60);
    }

    @ParameterizedTest
    @EnumSource(value = ValuesSet.class, names = {"DEFAULTS", "EXTERNAL", "HOST_NETWORK_OFF"})
    void withoutFuseThereIsNoDevFuseAndNoSysAdmin(ValuesSet set) {
        Rendered rendered = set.render();
        PodSpec pod = rendered.podSpec(Component.NODE_AGENT);
        assertThat(pod.getVolumes()).noneMatch(v -> v.getHostPath() != null && v.getHostPath().getPath().equals("/dev/fuse"));
        for (Container c : pod.getContainers()) {
            assertThat(c.getVolumeMounts()).noneMatch(m -> m.getMountPath().equals("/dev/fuse"));
            assertThat(c.getSecurityContext().getCapabilities().getAdd()).doesNotContain("SYS_ADMIN");
            assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
        }
        assertThat(pod.getInitContainers().getFirst().getSecurityContext().getCapabilities().getAdd())
                .doesNotContain("SYS_ADMIN");
        assertThat(rendered.environment(rendered.container(Component.NODE_AGENT)))
                .containsEntry("BOOTSWARM_AGENT_FUSE_ENABLED", "false")
                .doesNotContainKey("BOOTSWARM_AGENT_FUSE_MOUNT_POINT");
    }

    @ParameterizedTest
    @EnumSource(value = ValuesSet.class, names = {"FUSE_ON", "ALL_ON"})
    void withFuseTheAgentGetsDevFuseAndSysAdmin(ValuesSet set) {
        Rendered rendered = set.render();
        PodSpec pod = rendered.podSpec(Component.NODE_AGENT);
        Volume fuse = volume(pod, "fuse");
        assertThat(fuse.getHostPath().getPath()).isEqualTo("/dev/fuse");
        assertThat(fuse.getHostPath().getType()).isEqualTo("CharDevice");
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(mountPath(agent, "fuse")).isEqualTo("/dev/fuse");
        assertThat(agent.getSecurityContext().getCapabilities().getAdd()).containsExactly("SYS_ADMIN");
        assertThat(agent.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(agent.getSecurityContext().getPrivileged()).isNotEqualTo(Boolean.TRUE);
        assertThat(rendered.environment(agent))
                .containsEntry("BOOTSWARM_AGENT_FUSE_ENABLED", "true")
                .containsEntry("BOOTSWARM_AGENT_FUSE_MOUNT_POINT", "/run/bootswarm/fuse");
        // the chown init container stays without it
        assertThat(pod.getInitContainers().getFirst().getSecurityContext().getCapabilities().getAdd())
                .containsExactly("CHOWN");
    }

    @Test
    void propagatingTheFuseMountToTheHostTakesAPrivilegedContainer() {
        Rendered rendered = Chart.render("fuse-on.yaml", Map.of("nodeAgent.fuse.propagateToHost", "true"));
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(agent.getSecurityContext().getPrivileged()).isTrue();
        VolumeMount sockets = agent.getVolumeMounts().stream().filter(m -> m.getName().equals("sockets")).findFirst()
                .orElseThrow();
        assertThat(sockets.getMountPropagation()).isEqualTo("Bidirectional");
    }

    @Test
    void agentsRollOneAtATimeByDefaultOrOnlyWhenTheirPodIsDeleted() {
        DaemonSet rolling = ValuesSet.DEFAULTS.render().one(DaemonSet.class, AGENT);
        assertThat(rolling.getSpec().getUpdateStrategy().getType()).isEqualTo("RollingUpdate");
        assertThat(rolling.getSpec().getUpdateStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isEqualTo(1);

        DaemonSet onDelete = ValuesSet.EXTERNAL.render().one(DaemonSet.class, AGENT);
        assertThat(onDelete.getSpec().getUpdateStrategy().getType()).isEqualTo("OnDelete");
        assertThat(onDelete.getSpec().getUpdateStrategy().getRollingUpdate()).isNull();
        assertThat(onDelete.getSpec().getTemplate().getSpec().getNodeSelector())
                .containsEntry("bootswarm.io/hypervisor", "true");
        assertThat(onDelete.getSpec().getTemplate().getSpec().getPriorityClassName()).isEqualTo("system-node-critical");
    }

    @Test
    void aSocketGroupLetsTheHypervisorInAndTheAgentJoinsIt() {
        Rendered plain = ValuesSet.DEFAULTS.render();
        assertThat(plain.environment(plain.container(Component.NODE_AGENT)))
                .doesNotContainKey("BOOTSWARM_AGENT_NBD_SOCKET_GROUP");
        assertThat(plain.podSpec(Component.NODE_AGENT).getSecurityContext().getSupplementalGroups()).isNullOrEmpty();

        Rendered rendered = Chart.render("defaults.yaml", Map.of("nodeAgent.nbd.socketGroup", "108"));
        assertThat(rendered.environment(rendered.container(Component.NODE_AGENT)))
                .containsEntry("BOOTSWARM_AGENT_NBD_SOCKET_GROUP", "108")
                .containsEntry("BOOTSWARM_AGENT_NBD_UNIX_SOCKET", "/run/bootswarm/nbd/nbd.sock");
        assertThat(rendered.podSpec(Component.NODE_AGENT).getSecurityContext().getSupplementalGroups())
                .containsExactly(108L);
        // the other workloads are not in the hypervisor's group
        assertThat(rendered.podSpec(Component.TRACKER).getSecurityContext().getSupplementalGroups()).isNullOrEmpty();
    }

    @Test
    void manifestKeysAndTheSeedsSigningKeyComeFromValuesAndASecret() {
        Rendered plain = ValuesSet.DEFAULTS.render();
        assertThat(plain.environment(plain.container(Component.NODE_AGENT))).doesNotContainKey("BOOTSWARM_AGENT_MANIFEST_KEYS");
        assertThat(plain.environment(plain.container(Component.SEED))).doesNotContainKey("BOOTSWARM_SEED_SIGNING_KEY_FILE");

        Rendered rendered = ValuesSet.ALL_ON.render();
        assertThat(rendered.environment(rendered.container(Component.NODE_AGENT)))
                .containsEntry("BOOTSWARM_AGENT_MANIFEST_KEYS", "MCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=");
        assertThat(rendered.environment(rendered.container(Component.SEED)))
                .containsEntry("BOOTSWARM_SEED_SIGNING_KEY_FILE", "/etc/bootswarm/signing/manifest-signing-key.pem");
        PodSpec seed = rendered.podSpec(Component.SEED);
        assertThat(volume(seed, "signing-key").getSecret().getSecretName()).isEqualTo("bootswarm-manifest-signing");
        assertThat(mountPath(rendered.container(Component.SEED), "signing-key")).isEqualTo("/etc/bootswarm/signing");
    }

    @Test
    void explicitNbdSettingsWin() {
        Rendered rendered = Chart.render("host-network-off.yaml", Map.of("nodeAgent.nbd.advertisedHost", "nbd.node.example",
                "nodeAgent.nbd.advertisedPort", "20809"));
        Container agent = rendered.container(Component.NODE_AGENT);
        assertThat(rendered.environment(agent))
                .containsEntry("BOOTSWARM_AGENT_NBD_ADVERTISED_HOST", "nbd.node.example")
                .containsEntry("BOOTSWARM_AGENT_NBD_ADVERTISED_PORT", "20809");
        assertThat(agent.getEnv()).extracting(EnvVar::getName).doesNotContain("BOOTSWARM_AGENT_NBD_ADVERTISED_HOST");
    }

    private static Optional<String> fieldRef(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .map(e -> e.getValueFrom() == null || e.getValueFrom().getFieldRef() == null ? null
                        : e.getValueFrom().getFieldRef().getFieldPath());
    }

    private static Volume volume(PodSpec pod, String name) {
        return pod.getVolumes().stream().filter(v -> v.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no volume " + name + " in " + volumes(pod)));
    }

    private static List<String> volumes(PodSpec pod) {
        return pod.getVolumes().stream().map(Volume::getName).toList();
    }

    private static String mountPath(Container container, String volume) {
        return container.getVolumeMounts().stream().filter(m -> m.getName().equals(volume)).map(VolumeMount::getMountPath)
                .findFirst().orElseThrow(() -> new AssertionError(container.getName() + " does not mount " + volume));
    }
}
