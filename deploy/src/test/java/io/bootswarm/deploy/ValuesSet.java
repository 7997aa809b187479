package io.bootswarm.deploy;

import java.util.Map;

/**
 * The values the chart is rendered with (src/test/resources/values), and how many objects of each
 * kind each must give: a change in what the chart makes is then a deliberate one.
 */
enum ValuesSet {
    /** the chart's defaults plus the minimum it requires (external PostgreSQL and Kafka) */
    DEFAULTS("defaults.yaml", Map.of("ConfigMap", 5, "DaemonSet", 1, "Deployment", 3, "Service", 4,
            "ServiceAccount", 1, "StatefulSet", 1)),
    /** production-like external PostgreSQL and Kafka, private registry, existing claim, OnDelete */
    EXTERNAL("external.yaml", Map.of("ConfigMap", 5, "DaemonSet", 1, "Deployment", 3, "Service", 4,
            "ServiceAccount", 1, "StatefulSet", 1)),
    /** agents on the pod network, cache in an emptyDir */
    HOST_NETWORK_OFF("host-network-off.yaml", Map.of("ConfigMap", 5, "DaemonSet", 1, "Deployment", 3, "Service", 4,
            "ServiceAccount", 1, "StatefulSet", 1)),
    /** FUSE on */
    FUSE_ON("fuse-on.yaml", Map.of("ConfigMap", 5, "DaemonSet", 1, "Deployment", 3, "Service", 4,
            "ServiceAccount", 1, "StatefulSet", 1)),
    /** every optional object: in-chart PostgreSQL and Kafka, PDBs, NetworkPolicies, ServiceMonitors, Ingress */
    ALL_ON("all-on.yaml", Map.ofEntries(Map.entry("ConfigMap", 5), Map.entry("DaemonSet", 1),
            Map.entry("Deployment", 3), Map.entry("Ingress", 1), Map.entry("NetworkPolicy", 7),
            Map.entry("PodDisruptionBudget", 4), Map.entry("Secret", 1), Map.entry("Service", 7),
            Map.entry("ServiceAccount", 1), Map.entry("ServiceMonitor", 5), Map.entry("StatefulSet", 3))),
    /**
     * the chart's high-availability profile (its values-ha.yaml) with the minimum it requires: two replicas
     * of every service, PDBs, the trackers' shared key (the operator's Secret), the seeds' shared claim
     */
    HA("chart:values-ha.yaml,defaults.yaml", Map.of("ConfigMap", 5, "DaemonSet", 1, "Deployment", 3,
            "PersistentVolumeClaim", 1, "PodDisruptionBudget", 4, "Service", 4, "ServiceAccount", 1,
            "StatefulSet", 1));

    final String file;
    final Map<String, Integer> expectedCounts;

    ValuesSet(String file, Map<String, Integer> expectedCounts) {
        this.file = file;
        this.expectedCounts = expectedCounts;
    }

    Chart.Rendered render() {
        return Chart.render(file);
    }
}
