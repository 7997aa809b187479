package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.Affinity;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PersistentVolumeClaim;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.TopologySpreadConstraint;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.WeightedPodAffinityTerm;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The chart's high-availability profile ({@code helm/bootswarm/values-ha.yaml}): two replicas of every
 * service, a PodDisruptionBudget each that lets one pod go at a time, replicas kept apart by anti-affinity,
 * the trackers' one peer-token key (the operator's Secret), the seeds' one ReadWriteMany store and each
 * seed's own id and address, each allocator named after its pod; and the values that would split the
 * trackers' key or the seeds' store refused.
 */
class HighAvailabilityTest {

    private static final List<Component> SERVICES = List.of(Component.TRACKER, Component.SEED, Component.PROFILE,
            Component.ALLOCATOR);
    private static final String HOSTNAME = "kubernetes.io/hostname";

    @Test
    void theProfileRunsTwoReplicasOfEveryService() {
        Rendered ha = ValuesSet.HA.render();
        for (Component component : List.of(Component.TRACKER, Component.PROFILE, Component.ALLOCATOR)) {
            assertThat(ha.one(Deployment.class, component.objectName()).getSpec().getReplicas()).as("%s", component)
                    .isEqualTo(2);
        }
        assertThat(ha.one(StatefulSet.class, Component.SEED.objectName()).getSpec().getReplicas()).isEqualTo(2);
        assertThat(ValuesSet.DEFAULTS.render().one(Deployment.class, Component.TRACKER.objectName()).getSpec()
                .getReplicas()).as("without the profile").isEqualTo(1);
    }

    @Test
    void aDisruptionBudgetPerServiceLetsOneOfItsTwoPodsGoAtATime() {
        Rendered ha = ValuesSet.HA.render();
        assertThat(ha.all(PodDisruptionBudget.class)).extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("bootswarm-tracker", "bootswarm-seed", "bootswarm-profile",
                        "bootswarm-allocator");
        for (Component component : SERVICES) {
            PodDisruptionBudget pdb = ha.one(PodDisruptionBudget.class, component.objectName());
            int replicas = replicas(ha, component);
            int maxUnavailable = pdb.getSpec().getMaxUnavailable().getIntVal();
            assertThat(pdb.getSpec().getMinAvailable()).as("%s: maxUnavailable only", component).isNull();
            assertThat(maxUnavailable).as("%s: a drain may evict one pod", component).isEqualTo(1);
            assertThat(replicas - maxUnavailable).as("%s: one pod stays", component).isGreaterThanOrEqualTo(1);
            assertThat(podLabels(ha, component)).as("%s: the budget covers its pods", component)
                    .containsAllEntriesOf(pdb.getSpec().getSelector().getMatchLabels());
            assertThat(pdb.getSpec().getSelector().getMatchLabels())
                    .containsEntry("app.kubernetes.io/component", component.label);
        }
    }

    @Test
    void replicasPreferDifferentNodesAndZones() {
        Rendered ha = ValuesSet.HA.render();
        for (Component component : SERVICES) {
            Affinity affinity = ha.podSpec(component).getAffinity();
            assertThat(affinity.getPodAntiAffinity().getRequiredDuringSchedulingIgnoredDuringExecution())
                    .as("%s", component).isEmpty();
            WeightedPodAffinityTerm preferred = affinity.getPodAntiAffinity()
                    .getPreferredDuringSchedulingIgnoredDuringExecution().getFirst();
            assertApart(ha, component, preferred.getPodAffinityTerm());
            assertThat(preferred.getWeight()).isEqualTo(100);
            TopologySpreadConstraint spread = ha.podSpec(component).getTopologySpreadConstraints().getFirst();
            assertThat(spread.getTopologyKey()).isEqualTo("topology.kubernetes.io/zone");
            assertThat(spread.getWhenUnsatisfiable()).as("never blocks scheduling").isEqualTo("ScheduleAnyway");
            assertThat(spread.getMaxSkew()).isEqualTo(1);
            assertThat(podLabels(ha, component)).containsAllEntriesOf(spread.getLabelSelector().getMatchLabels());
        }
        assertThat(ValuesSet.DEFAULTS.render().podSpec(Component.TRACKER).getTopologySpreadConstraints())
                .as("zones only on request").isEmpty();
    }

    @Test
    void antiAffinityCanBeRequiredOrOffAndAComponentsOwnAffinityReplacesIt() {
        Rendered hard = Chart.render("chart:values-ha.yaml,defaults.yaml", Map.of("scheduling.podAntiAffinity", "hard"));
        for (Component component : SERVICES) {
            var anti = hard.podSpec(component).getAffinity().getPodAntiAffinity();
            assertThat(anti.getPreferredDuringSchedulingIgnoredDuringExecution()).as("%s", component).isEmpty();
            assertApart(hard, component, anti.getRequiredDuringSchedulingIgnoredDuringExecution().getFirst());
        }
        Rendered none = Chart.render("chart:values-ha.yaml,defaults.yaml", Map.of("scheduling.podAntiAffinity", "none",
                "tracker.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                        + ".matchExpressions[0].key", "bootswarm.io/control-plane",
                "tracker.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]"
                        + ".matchExpressions[0].operator", "Exists"));
        assertThat(none.podSpec(Component.SEED).getAffinity()).isNull();
        Affinity own = none.podSpec(Component.TRACKER).getAffinity();
        assertThat(own.getPodAntiAffinity()).isNull();
        assertThat(own.getNodeAffinity().getRequiredDuringSchedulingIgnoredDuringExecution().getNodeSelectorTerms()
                .getFirst().getMatchExpressions().getFirst().getKey()).isEqualTo("bootswarm.io/control-plane");
    }

    @Test
    void trackersShareOnePeerTokenKeyFromTheOperatorsSecret() {
        Rendered ha = ValuesSet.HA.render();
        assertThat(ha.all(Secret.class)).as("the chart makes no key").isEmpty();
        Volume volume = ha.podSpec(Component.TRACKER).getVolumes().stream().filter(v -> v.getName().equals("peer-token"))
                .findFirst().orElseThrow();
        assertThat(volume.getSecret().getSecretName()).isEqualTo("bootswarm-peer-token");
        Container tracker = ha.container(Component.TRACKER);
        assertThat(tracker.getVolumeMounts()).anyMatch(m -> m.getName().equals("peer-token")
                && m.getMountPath().equals("/etc/bootswarm/peer-token") && Boolean.TRUE.equals(m.getReadOnly()));
        assertThat(ha.environment(tracker))
                .containsEntry("BOOTSWARM_TRACKER_PEER_TOKEN_KEY_FILE", "/etc/bootswarm/peer-token/peer-token-key.pem")
                .containsEntry("BOOTSWARM_TRACKER_REPLICA_ENABLED", "true");

        Rendered own = Chart.render("chart:values-ha.yaml,defaults.yaml",
                Map.of("tracker.peerToken.existingSecret", "swarm-peer-token", "tracker.peerToken.key", "key.pem"));
        assertThat(own.podSpec(Component.TRACKER).getVolumes()).anyMatch(v -> v.getName().equals("peer-token")
                && v.getSecret().getSecretName().equals("swarm-peer-token"));
        assertThat(own.environment(own.container(Component.TRACKER)))
                .containsEntry("BOOTSWARM_TRACKER_PEER_TOKEN_KEY_FILE", "/etc/bootswarm/peer-token/key.pem");

        Rendered single = ValuesSet.DEFAULTS.render();
        assertThat(single.podSpec(Component.TRACKER).getVolumes()).noneMatch(v -> v.getName().equals("peer-token"));
        assertThat(single.environment(single.container(Component.TRACKER)))
                .doesNotContainKey("BOOTSWARM_TRACKER_PEER_TOKEN_KEY_FILE")
                .containsEntry("BOOTSWARM_TRACKER_REPLICA_ENABLED", "true");
    }

    @Test
    void twoTrackersWithoutASharedKeyFail() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("tracker.replicas", "2")))
                .contains("tracker.peerToken.existingSecret is required with tracker.replicas above 1");
        assertThat(Chart.renderError("chart:values-ha.yaml,defaults.yaml", Map.of("tracker.peerToken.existingSecret", "")))
                .contains("openssl genpkey -algorithm ed25519");
    }

    @Test
    void seedsShareOneReadWriteManyStoreAndEachHasItsOwnIdAndPeerAddress() {
        Rendered ha = ValuesSet.HA.render();
        PersistentVolumeClaim claim = ha.one(PersistentVolumeClaim.class, "bootswarm-seed-store");
        assertThat(claim.getSpec().getAccessModes()).containsExactly("ReadWriteMany");
        assertThat(claim.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("100Gi");
        assertThat(claim.getSpec().getStorageClassName()).isNull();
        StatefulSet seed = ha.one(StatefulSet.class, Component.SEED.objectName());
        assertThat(seed.getSpec().getVolumeClaimTemplates()).as("no claim per pod").isEmpty();
        assertThat(ha.podSpec(Component.SEED).getVolumes()).anyMatch(v -> v.getName().equals("store")
                && v.getPersistentVolumeClaim() != null
                && v.getPersistentVolumeClaim().getClaimName().equals("bootswarm-seed-store"));

        Container container = ha.container(Component.SEED);
        assertThat(fieldRef(container, "BOOTSWARM_SEED_ID")).isEqualTo("metadata.name");
        assertThat(fieldRef(container, "BOOTSWARM_SEED_ADVERTISED_HOST")).isEqualTo("status.podIP");
        ConfigMap config = ha.one(ConfigMap.class, Component.SEED.objectName());
        assertThat(config.getData()).as("the shared ConfigMap names no one seed's address")
                .doesNotContainKey("BOOTSWARM_SEED_ADVERTISED_HOST")
                .containsEntry("BOOTSWARM_SEED_ADVERTISED_API_URL", "http://bootswarm-seed.swarm.svc.cluster.local:8081")
                .containsEntry("BOOTSWARM_SEED_STORAGE_DIR", "/var/lib/bootswarm/seed");

        Rendered classed = Chart.render("chart:values-ha.yaml,defaults.yaml",
                Map.of("seed.persistence.storageClass", "cephfs", "seed.signingKey.existingSecret", "manifest-key"));
        assertThat(classed.one(PersistentVolumeClaim.class, "bootswarm-seed-store").getSpec().getStorageClassName())
                .isEqualTo("cephfs");
        assertThat(classed.environment(classed.container(Component.SEED)))
                .containsEntry("BOOTSWARM_SEED_SIGNING_KEY_FILE", "/etc/bootswarm/signing/manifest-signing-key.pem");

        Rendered single = ValuesSet.DEFAULTS.render();
        assertThat(single.all(PersistentVolumeClaim.class)).isEmpty();
        assertThat(single.environment(single.container(Component.SEED))).doesNotContainKey("BOOTSWARM_SEED_ID")
                .containsEntry("BOOTSWARM_SEED_ADVERTISED_HOST", "bootswarm-seed.swarm.svc.cluster.local");
    }

    @Test
    void eachAllocatorIsNamedAfterItsPodInTheLease() {
        for (ValuesSet set : List.of(ValuesSet.HA, ValuesSet.DEFAULTS)) {
            Rendered rendered = set.render();
            assertThat(fieldRef(rendered.container(Component.ALLOCATOR), "BOOTSWARM_ALLOCATOR_LEADER_INSTANCE_ID"))
                    .as(set.file).isEqualTo("metadata.name");
        }
    }

    @Test
    void valuesThatWouldSplitTheSeedsStoreOrAddressFail() {
        assertThat(Chart.renderError("defaults.yaml", Map.of("seed.replicas", "2")))
                .contains("seed.replicas above 1 needs one store for all of them: set seed.persistence.shared=true");
        assertThat(Chart.renderError("defaults.yaml", Map.of("seed.replicas", "2", "seed.persistence.shared", "true")))
                .contains("seed.replicas above 1 with seed.persistence.shared needs seed.persistence.accessModes "
                        + "[ReadWriteMany]");
        assertThat(Chart.renderError("chart:values-ha.yaml,defaults.yaml", Map.of("seed.advertisedHost", "seed.example")))
                .contains("seed.advertisedHost must be empty with more than one seed");
        assertThat(Chart.renderError("chart:values-ha.yaml,defaults.yaml", Map.of("scheduling.podAntiAffinity", "always")))
                .contains("podAntiAffinity");
        // an existing claim is the operator's to make ReadWriteMany
        Rendered existing = Chart.render("defaults.yaml", Map.of("seed.replicas", "2",
                "seed.persistence.existingClaim", "images-rwx"));
        assertThat(existing.one(StatefulSet.class, Component.SEED.objectName()).getSpec().getReplicas()).isEqualTo(2);
        assertThat(fieldRef(existing.container(Component.SEED), "BOOTSWARM_SEED_ID")).isEqualTo("metadata.name");
    }

    private static void assertApart(Rendered rendered, Component component, PodAffinityTerm term) {
        assertThat(term.getTopologyKey()).as("%s", component).isEqualTo(HOSTNAME);
        assertThat(term.getLabelSelector().getMatchLabels()).as("%s: its own replicas only", component)
                .containsEntry("app.kubernetes.io/component", component.label)
                .containsEntry("app.kubernetes.io/instance", Chart.RELEASE);
        assertThat(podLabels(rendered, component)).containsAllEntriesOf(term.getLabelSelector().getMatchLabels());
    }

    private static String fieldRef(Container container, String name) {
        EnvVar var = container.getEnv().stream().filter(e -> e.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no env " + name));
        return var.getValueFrom().getFieldRef().getFieldPath();
    }

    private static int replicas(Rendered rendered, Component component) {
        return switch (rendered.one(component.workload, component.objectName())) {
            case Deployment d -> d.getSpec().getReplicas();
            case StatefulSet s -> s.getSpec().getReplicas();
            default -> throw new IllegalStateException(component.toString());
        };
    }

    private static Map<String, String> podLabels(Rendered rendered, Component component) {
        return switch (rendered.one(component.workload, component.objectName())) {
            case Deployment d -> d.getSpec().getTemplate().getMetadata().getLabels();
            case StatefulSet s -> s.getSpec().getTemplate().getMetadata().getLabels();
            default -> throw new IllegalStateException(component.toString());
        };
    }
}
