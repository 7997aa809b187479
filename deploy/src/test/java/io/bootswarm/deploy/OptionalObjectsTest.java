package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Manifest;
import io.bootswarm.deploy.Chart.Rendered;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.networking.v1.Ingress;
import io.fabric8.kubernetes.api.model.networking.v1.IngressRule;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The optional objects (all off by default): in-chart PostgreSQL and Kafka, PodDisruptionBudgets,
 * NetworkPolicies that match the fleet's real traffic, ServiceMonitors and the Ingress.
 */
class OptionalObjectsTest {

    private static final Set<String> OPTIONAL_KINDS = Set.of("PodDisruptionBudget", "NetworkPolicy", "ServiceMonitor",
            "Ingress", "Secret");

    @Test
    void noneIsOnByDefault() {
        Rendered rendered = ValuesSet.DEFAULTS.render();
        assertThat(rendered.counts().keySet()).doesNotContainAnyElementsOf(OPTIONAL_KINDS);
        assertThat(rendered.all(StatefulSet.class)).extracting(s -> s.getMetadata().getName())
                .containsExactly("bootswarm-seed");
    }

    @Test
    void theInChartPostgresqlIsConfiguredByTheOfficialImagesVariables() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        StatefulSet postgres = rendered.one(StatefulSet.class, "bootswarm-postgresql");
        Container container = postgres.getSpec().getTemplate().getSpec().getContainers().getFirst();
        Map<String, String> env = literal(container);
        assertThat(env).containsEntry("POSTGRES_DB", "bootswarm").containsEntry("POSTGRES_USER", "bootswarm")
                .containsEntry("PGDATA", "/var/lib/postgresql/data/pgdata").containsKey("POSTGRES_PASSWORD");
        assertThat(postgres.getSpec().getVolumeClaimTemplates()).singleElement()
                .satisfies(c -> assertThat(c.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("8Gi"));
        assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        for (Component component : List.of(Component.TRACKER, Component.SEED, Component.PROFILE, Component.ALLOCATOR)) {
            assertThat(rendered.environment(rendered.container(component))).as("%s", component)
                    .containsEntry("SPRING_DATASOURCE_URL",
                            "jdbc:postgresql://bootswarm-postgresql.swarm.svc.cluster.local:5432/bootswarm")
                    .containsEntry("SPRING_KAFKA_BOOTSTRAP_SERVERS", "bootswarm-kafka.swarm.svc.cluster.local:9092");
        }
        assertThat(rendered.one(Service.class, "bootswarm-postgresql").getSpec().getPorts().getFirst().getPort())
                .isEqualTo(5432);
    }

    @Test
    void theInChartKafkaIsASingleKraftNode() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        StatefulSet kafka = rendered.one(StatefulSet.class, "bootswarm-kafka");
        Map<String, String> env = literal(kafka.getSpec().getTemplate().getSpec().getContainers().getFirst());
        assertThat(env)
                .containsEntry("KAFKA_NODE_ID", "1")
                .containsEntry("KAFKA_PROCESS_ROLES", "broker,controller")
                .containsEntry("KAFKA_LISTENERS", "PLAINTEXT://:9092,CONTROLLER://:9093")
                .containsEntry("KAFKA_ADVERTISED_LISTENERS", "PLAINTEXT://bootswarm-kafka.swarm.svc.cluster.local:9092")
                .containsEntry("KAFKA_CONTROLLER_LISTENER_NAMES", "CONTROLLER")
                .containsEntry("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT")
                .containsEntry("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@localhost:9093")
                .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "1")
                .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "1")
                .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "1")
                .containsKey("CLUSTER_ID");
        assertThat(env.get("CLUSTER_ID")).matches("[A-Za-z0-9_-]{22}");
    }

    @Test
    void podDisruptionBudgetsCoverEveryService() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        assertThat(rendered.all(PodDisruptionBudget.class)).extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("bootswarm-tracker", "bootswarm-seed", "bootswarm-profile", "bootswarm-allocator");
        for (PodDisruptionBudget pdb : rendered.all(PodDisruptionBudget.class)) {
            assertThat(pdb.getSpec().getMaxUnavailable().getIntVal()).isEqualTo(1);
            assertThat(pdb.getSpec().getSelector().getMatchLabels()).containsEntry("app.kubernetes.io/component",
                    pdb.getMetadata().getName().substring("bootswarm-".length()));
        }
    }

    @Test
    void networkPoliciesAllowTheFleetsOwnTraffic() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        Map<String, NetworkPolicy> policies = new HashMap<>();
        rendered.all(NetworkPolicy.class).forEach(p -> policies.put(p.getMetadata().getName().substring("bootswarm-".length()), p));
        assertThat(policies.keySet()).containsExactlyInAnyOrder("tracker", "seed", "profile", "allocator", "node-agent",
                "postgresql", "kafka");
        policies.forEach((component, p) -> {
            assertThat(p.getSpec().getPolicyTypes()).as(component).containsExactlyInAnyOrder("Ingress", "Egress");
            assertThat(p.getSpec().getPodSelector().getMatchLabels()).as(component)
                    .containsEntry("app.kubernetes.io/component", component);
            // every pod resolves names
            assertThat(egressPorts(p, null)).as(component + " DNS").contains(53);
            // every bootswarm pod reaches the identity provider (all-on.yaml: https issuer, any destination)
            if (!component.equals("postgresql") && !component.equals("kafka")) {
                assertThat(egressPorts(p, null)).as(component + " identity provider").contains(443);
            }
        });
        String nodes = "10.0.0.0/16"; // all-on.yaml's nodeCidrs: agents on the host network are these addresses

        // agents <-> agents on the peer port
        assertThat(ingressPorts(policies.get("node-agent"), nodes)).contains(6882);
        assertThat(egressPorts(policies.get("node-agent"), nodes)).contains(6882);
        // agents -> seed (peer wire and HTTP), tracker, profile-service, Kafka
        assertThat(egressPorts(policies.get("node-agent"), "seed")).containsExactlyInAnyOrder(8081, 6881);
        assertThat(egressPorts(policies.get("node-agent"), "tracker")).containsExactly(8080);
        assertThat(egressPorts(policies.get("node-agent"), "profile")).containsExactly(8083);
        assertThat(egressPorts(policies.get("node-agent"), "kafka")).containsExactly(9092);
        assertThat(ingressPorts(policies.get("seed"), nodes)).contains(6881, 8081);
        assertThat(ingressPorts(policies.get("tracker"), nodes)).contains(8080);
        assertThat(ingressPorts(policies.get("profile"), nodes)).contains(8083);
        assertThat(ingressPorts(policies.get("kafka"), nodes)).contains(9092);
        // seed -> tracker; tracker, profile-service -> seed HTTP
        assertThat(egressPorts(policies.get("seed"), "tracker")).containsExactly(8080);
        assertThat(ingressPorts(policies.get("tracker"), "seed")).containsExactly(8080);
        assertThat(egressPorts(policies.get("tracker"), "seed")).containsExactly(8081);
        assertThat(egressPorts(policies.get("profile"), "seed")).containsExactly(8081);
        assertThat(ingressPorts(policies.get("seed"), "tracker")).containsExactly(8081);
        assertThat(ingressPorts(policies.get("seed"), "profile")).containsExactly(8081);
        // services -> PostgreSQL and Kafka
        for (String service : List.of("tracker", "seed", "profile", "allocator")) {
            assertThat(egressPorts(policies.get(service), "postgresql")).as(service).containsExactly(5432);
            assertThat(egressPorts(policies.get(service), "kafka")).as(service).containsExactly(9092);
            assertThat(ingressPorts(policies.get("postgresql"), service)).as(service).containsExactly(5432);
            assertThat(ingressPorts(policies.get("kafka"), service)).as(service).containsExactly(9092);
        }
        // the agent is no client of PostgreSQL, and the allocator calls no other service
        assertThat(egressPorts(policies.get("node-agent"), "postgresql")).isEmpty();
        assertThat(egressPorts(policies.get("allocator"), "seed")).isEmpty();
        // the hypervisor on the node reaches NBD
        assertThat(ingressPorts(policies.get("node-agent"), nodes)).contains(10809);
    }

    @Test
    void serviceMonitorsScrapeActuatorsPrometheusEndpointOfOneServiceEach() {
        Rendered rendered = ValuesSet.ALL_ON.render();
        List<Manifest> monitors = rendered.ofKind("ServiceMonitor");
        assertThat(monitors).extracting(Manifest::name).containsExactlyInAnyOrder("bootswarm-tracker", "bootswarm-seed",
                "bootswarm-profile", "bootswarm-allocator", "bootswarm-node-agent");
        for (Manifest monitor : monitors) {
            Map<String, Object> raw = monitor.raw();
            assertThat(raw.get("apiVersion")).isEqualTo("monitoring.coreos.com/v1");
            assertThat(raw.keySet()).containsExactlyInAnyOrder("apiVersion", "kind", "metadata", "spec");
            Map<String, Object> spec = map(raw.get("spec"));
            assertThat(spec.keySet()).as(monitor.name()).containsExactlyInAnyOrder("selector", "namespaceSelector", "endpoints");
            assertThat(map(spec.get("namespaceSelector"))).isEqualTo(Map.of("matchNames", List.of(Chart.NAMESPACE)));
            List<?> endpoints = (List<?>) spec.get("endpoints");
            // Prometheus' own client (role viewer) for the actuator; https with the services' CA (all-on: tls on)
            String component = monitor.name().substring("bootswarm-".length());
            assertThat(endpoints).singleElement().isEqualTo(Map.of("port", "http", "path", "/actuator/prometheus",
                    "interval", "30s",
                    "oauth2", Map.of(
                            "clientId", Map.of("secret", Map.of("name", "bootswarm-prometheus-client", "key", "client-id")),
                            "clientSecret", Map.of("name", "bootswarm-prometheus-client", "key", "client-secret"),
                            "tokenUrl", "https://idp.example.com/realms/bootswarm/protocol/openid-connect/token"),
                    "scheme", "https",
                    "tlsConfig", Map.of("ca", Map.of("secret", Map.of("name", "bootswarm-https", "key", "ca.crt")),
                            "serverName", "bootswarm-" + component + ".swarm.svc.cluster.local")));
            assertThat(monitor.object().getMetadata().getLabels()).containsEntry("release", "prometheus");
            Map<String, Object> matchLabels = map(map(spec.get("selector")).get("matchLabels"));
            List<Service> selected = rendered.all(Service.class).stream()
                    .filter(s -> s.getMetadata().getLabels().entrySet().containsAll(matchLabels.entrySet())).toList();
            assertThat(selected).as("Services %s selects", monitor.name()).singleElement()
                    .satisfies(s -> assertThat(s.getSpec().getPorts()).anyMatch(p -> p.getName().equals("http")));
        }
    }

    @Test
    void theIngressRoutesOneHostPerServiceApi() {
        Ingress ingress = ValuesSet.ALL_ON.render().one(Ingress.class, "bootswarm");
        assertThat(ingress.getSpec().getIngressClassName()).isEqualTo("nginx");
        assertThat(ingress.getMetadata().getAnnotations()).containsEntry("nginx.ingress.kubernetes.io/proxy-body-size", "0");
        Map<String, String> backends = ingress.getSpec().getRules().stream().collect(Collectors.toMap(IngressRule::getHost,
                r -> r.getHttp().getPaths().getFirst().getBackend().getService().getName()));
        assertThat(backends).isEqualTo(Map.of("tracker.swarm.example.com", "bootswarm-tracker",
                "seed.swarm.example.com", "bootswarm-seed", "profile.swarm.example.com", "bootswarm-profile",
                "allocator.swarm.example.com", "bootswarm-allocator"));
        assertThat(ingress.getSpec().getTls()).singleElement()
                .satisfies(t -> assertThat(t.getSecretName()).isEqualTo("bootswarm-tls"));
    }

    /** the ports an ingress rule admits from a component's pods (or from a CIDR) */
    @Test
    void serviceMonitorsNeedPrometheusOwnClient() {
        assertThat(Chart.renderError("all-on.yaml", Map.of("monitoring.serviceMonitor.oauth2.existingSecret", "")))
                .contains("monitoring.serviceMonitor.oauth2.existingSecret is required with monitoring.serviceMonitor.enabled");
        // without a token endpoint of its own, Spring Authorization Server's under the issuer
        Rendered rendered = Chart.render("all-on.yaml", Map.of("auth.tokenUri", "", "tls.existingSecret", ""));
        Map<String, Object> endpoint = map(((List<?>) map(rendered.ofKind("ServiceMonitor").getFirst().raw().get("spec"))
                .get("endpoints")).getFirst());
        assertThat(map(endpoint.get("oauth2")).get("tokenUrl")).isEqualTo("https://idp.example.com/realms/bootswarm/oauth2/token");
        assertThat(endpoint).doesNotContainKeys("scheme", "tlsConfig");
    }

    @Test
    void theIdentityProviderIsReachedOnItsPortsAndWhereTheOperatorSays() {
        Rendered rendered = Chart.render("all-on.yaml", Map.of(
                "auth.issuerUri", "http://idp.example.internal:9000",
                "auth.tokenUri", "https://idp.example.internal/oauth2/token",
                "networkPolicy.identityProviderTo[0].ipBlock.cidr", "192.0.2.0/24"));
        NetworkPolicy tracker = rendered.one(NetworkPolicy.class, "bootswarm-tracker");
        assertThat(egressPorts(tracker, "192.0.2.0/24")).containsExactlyInAnyOrder(9000, 443);
        assertThat(egressPorts(tracker, null)).doesNotContain(9000, 443);
    }

    private static Set<Integer> ingressPorts(NetworkPolicy policy, String from) {
        return policy.getSpec().getIngress().stream().filter(r -> matches(r.getFrom(), from))
                .flatMap(r -> r.getPorts().stream()).map(OptionalObjectsTest::port).collect(Collectors.toSet());
    }

    /** the ports an egress rule allows to a component's pods (or a CIDR; null: rules without destinations) */
    private static Set<Integer> egressPorts(NetworkPolicy policy, String to) {
        return policy.getSpec().getEgress().stream().filter(r -> matches(r.getTo(), to))
                .flatMap(r -> r.getPorts().stream()).map(OptionalObjectsTest::port).collect(Collectors.toSet());
    }

    private static boolean matches(List<NetworkPolicyPeer> peers, String who) {
        if (who == null) {
            return peers.isEmpty();
        }
        return peers.stream().anyMatch(p -> (p.getIpBlock() != null && p.getIpBlock().getCidr().equals(who))
                || (p.getPodSelector() != null && p.getNamespaceSelector() == null
                && who.equals(p.getPodSelector().getMatchLabels().get("app.kubernetes.io/component"))));
    }

    private static int port(NetworkPolicyPort port) {
        return port.getPort().getIntVal();
    }

    private static Map<String, String> literal(Container container) {
        Map<String, String> env = new HashMap<>();
        for (EnvVar var : container.getEnv()) {
            env.put(var.getName(), var.getValue());
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        return (Map<String, Object>) o;
    }
}
