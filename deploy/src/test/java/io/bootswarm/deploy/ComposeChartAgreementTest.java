package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.yml (one box) and the chart (Kubernetes) configure the services alike: per
 * bootswarm service, every variable compose sets is one the chart sets too (rendered with every
 * optional object on), and every container port compose publishes or exposes is one of the chart's
 * container's ports. The same holds for the high-availability pair: docker-compose.yml with
 * docker-compose.ha.yml against the chart with values-ha.yaml.
 */
class ComposeChartAgreementTest {

    static final Path COMPOSE = Chart.REPOSITORY.resolve("docker-compose.yml");
    static final Path COMPOSE_HA = Chart.REPOSITORY.resolve("docker-compose.ha.yml");
    /** every optional object on, then the chart's high-availability profile */
    static final String CHART_HA = "all-on.yaml,chart:values-ha.yaml";

    /** compose service -> the chart's component */
    private static final Map<String, Component> SERVICES = new LinkedHashMap<>();

    static {
        SERVICES.put("tracker", Component.TRACKER);
        SERVICES.put("seed", Component.SEED);
        SERVICES.put("profile", Component.PROFILE);
        SERVICES.put("allocator", Component.ALLOCATOR);
        SERVICES.put("agent-1", Component.NODE_AGENT);
        SERVICES.put("agent-2", Component.NODE_AGENT);
    }

    private static final String CLIENT_FILES = "SPRING_CONFIG_IMPORT";
    /**
     * Compose's broker holds the topics (kafka-setup makes them, the services may not); the chart leaves
     * that to the operator's brokers ({@code extraEnv}, chart README).
     */
    private static final String ADMIN_MADE_TOPICS = "BOOTSWARM_KAFKA_CREATE_TOPICS";

    /**
     * Variables only compose sets, and why the chart does not. Keep it short: anything else compose
     * sets, the chart must set too.
     */
    private static final Map<Component, Set<String>> COMPOSE_ONLY = Map.of(
            // each agent's API is published on its own loopback port of the box, so compose names the URL;
            // in the chart it follows from the node's address (BOOTSWARM_AGENT_ADVERTISED_HOST) and the port.
            // Compose reads each service's client (bootswarm.security.client.id/.secret) from the files its
            // authorization server writes (SPRING_CONFIG_IMPORT=configtree:...); the chart maps the operator's
            // Secret to BOOTSWARM_SECURITY_CLIENT_ID/_SECRET instead (the Kafka password alike)
            Component.NODE_AGENT, Set.of("BOOTSWARM_AGENT_API_URL", CLIENT_FILES, ADMIN_MADE_TOPICS),
            Component.TRACKER, Set.of(CLIENT_FILES, ADMIN_MADE_TOPICS),
            Component.SEED, Set.of(CLIENT_FILES, ADMIN_MADE_TOPICS),
            Component.PROFILE, Set.of(CLIENT_FILES, ADMIN_MADE_TOPICS),
            Component.ALLOCATOR, Set.of(CLIENT_FILES, ADMIN_MADE_TOPICS));

    /** the high-availability variant's second instances, and the service each duplicates */
    static final Map<String, String> SECOND = Map.of("tracker-2", "tracker", "seed-2", "seed",
            "allocator-2", "allocator");

    private static Map<String, Object> services;
    private static Rendered chart;
    private static Map<String, Object> haServices;
    private static Rendered haChart;

    @BeforeAll
    static void load() throws IOException {
        assertThat(COMPOSE).as("the one-box deployment the chart must agree with").isRegularFile();
        assertThat(COMPOSE_HA).as("its high-availability override").isRegularFile();
        services = Compose.services(COMPOSE);
        chart = ValuesSet.ALL_ON.render();
        haServices = Compose.services(COMPOSE, COMPOSE_HA);
        haChart = Chart.render(CHART_HA);
    }

    @Test
    void theHaVariantAddsASecondTrackerSeedAndAllocatorOfTheSameImages() {
        assertThat(haServices.keySet()).containsAll(services.keySet()).containsAll(SECOND.keySet());
        SECOND.forEach((second, first) -> assertThat(Compose.string(haServices, second, "image")).as(second)
                .isEqualTo(Compose.string(services, first, "image")));
    }

    @Test
    void theHaVariantSetsNoVariableTheHaChartDoesNot() {
        Map<String, Set<String>> composeOnly = new TreeMap<>();
        Map<String, Component> all = new LinkedHashMap<>(SERVICES);
        SECOND.forEach((second, first) -> all.put(second, SERVICES.get(first)));
        for (var e : all.entrySet()) {
            Set<String> missing = new TreeSet<>(Compose.environment(haServices, e.getKey()).keySet());
            missing.removeAll(haChart.environment(haChart.container(e.getValue())).keySet());
            missing.removeAll(COMPOSE_ONLY.getOrDefault(e.getValue(), Set.of()));
            if (!missing.isEmpty()) {
                composeOnly.put(e.getKey(), missing);
            }
            Set<Integer> unknown = new TreeSet<>(Compose.containerPorts(haServices, e.getKey()));
            unknown.removeAll(haChart.containerPorts(haChart.container(e.getValue())));
            assertThat(unknown).as("%s: container ports the chart's container has not", e.getKey()).isEmpty();
        }
        assertThat(composeOnly).as("variables docker-compose.yml + docker-compose.ha.yml set that the chart ("
                + CHART_HA + ") does not set").isEmpty();
    }

    @Test
    void composeHasEveryBootswarmService() {
        assertThat(services.keySet()).containsAll(SERVICES.keySet()).contains("postgres", "kafka");
    }

    @Test
    void composeSetsNoVariableTheChartDoesNot() {
        Map<String, Set<String>> composeOnly = new TreeMap<>();
        Map<String, Set<String>> chartOnly = new TreeMap<>();
        for (var e : SERVICES.entrySet()) {
            Set<String> composeNames = environment(e.getKey()).keySet();
            Set<String> chartNames = chart.environment(chart.container(e.getValue())).keySet();
            Set<String> missing = new TreeSet<>(composeNames);
            missing.removeAll(chartNames);
            missing.removeAll(COMPOSE_ONLY.getOrDefault(e.getValue(), Set.of()));
            if (!missing.isEmpty()) {
                composeOnly.put(e.getKey(), missing);
            }
            Set<String> extra = new TreeSet<>(chartNames);
            extra.removeAll(composeNames);
            if (!extra.isEmpty()) {
                chartOnly.put(e.getKey(), extra);
            }
        }
        chartOnly.forEach((service, names) -> System.out.printf("chart only, %s: %s%n", service, names));
        assertThat(composeOnly).as("variables docker-compose.yml sets that the chart (all-on.yaml) does not set: "
                + "add them to the chart, or (only when Kubernetes has no use for them) to COMPOSE_ONLY with the reason")
                .isEmpty();
    }

    @Test
    void composesContainerPortsAreTheCharts() {
        Map<String, Set<Integer>> stray = new TreeMap<>();
        for (var e : SERVICES.entrySet()) {
            Set<Integer> composePorts = containerPorts(e.getKey());
            Set<Integer> chartPorts = chart.containerPorts(chart.container(e.getValue()));
            Set<Integer> unknown = new TreeSet<>(composePorts);
            unknown.removeAll(chartPorts);
            if (!unknown.isEmpty()) {
                stray.put(e.getKey() + " (chart: " + chartPorts + ")", unknown);
            }
        }
        assertThat(stray).as("container ports docker-compose.yml publishes or exposes that the chart's container has not")
                .isEmpty();
    }

    private static Map<String, String> environment(String service) {
        return Compose.environment(services, service);
    }

    private static Set<Integer> containerPorts(String service) {
        return Compose.containerPorts(services, service);
    }
}
