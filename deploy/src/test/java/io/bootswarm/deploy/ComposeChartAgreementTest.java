package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
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
 * container's ports.
 */
class ComposeChartAgreementTest {

    static final Path COMPOSE = Chart.REPOSITORY.resolve("docker-compose.yml");

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

    private static Map<String, Object> services;
    private static Rendered chart;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void load() throws IOException {
        assertThat(COMPOSE).as("the one-box deployment the chart must agree with").isRegularFile();
        Map<String, Object> compose = new Yaml().load(Files.readString(COMPOSE));
        services = (Map<String, Object>) compose.get("services");
        chart = ValuesSet.ALL_ON.render();
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

    @SuppressWarnings("unchecked")
    private static Map<String, String> environment(String service) {
        Map<String, Object> definition = (Map<String, Object>) services.get(service);
        Object environment = definition.get("environment");
        Map<String, String> env = new TreeMap<>();
        if (environment instanceof Map<?, ?> map) {
            map.forEach((k, v) -> env.put(String.valueOf(k), v == null ? null : String.valueOf(v)));
        } else if (environment instanceof Iterable<?> list) {
            for (Object item : list) {
                String[] kv = String.valueOf(item).split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : null);
            }
        }
        return env;
    }

    @SuppressWarnings("unchecked")
    private static Set<Integer> containerPorts(String service) {
        Map<String, Object> definition = (Map<String, Object>) services.get(service);
        Set<Integer> ports = new TreeSet<>();
        for (Object port : (Iterable<Object>) definition.getOrDefault("ports", java.util.List.of())) {
            if (port instanceof Map<?, ?> longSyntax) {
                ports.add(Integer.parseInt(String.valueOf(longSyntax.get("target"))));
            } else {
                // [host_ip:][host_port:]container_port[/protocol]
                String spec = String.valueOf(port);
                String container = spec.substring(spec.lastIndexOf(':') + 1).replaceAll("/.*$", "");
                ports.add(Integer.parseInt(container));
            }
        }
        for (Object port : (Iterable<Object>) definition.getOrDefault("expose", java.util.List.of())) {
            ports.add(Integer.parseInt(String.valueOf(port).replaceAll("/.*$", "")));
        }
        return ports;
    }
}
