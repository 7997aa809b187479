package io.bootswarm.deploy;

import io.bootswarm.deploy.Chart.Component;
import io.bootswarm.deploy.Chart.Rendered;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every environment variable the chart gives a bootswarm container binds to a real configuration
 * property of that service, by Spring Boot's relaxed binding from the environment (upper case,
 * "." as "_", "-" dropped or as "_"; a Map property takes any suffix). The properties are those in
 * the META-INF/spring-configuration-metadata.json that spring-boot-configuration-processor writes
 * into the service's own jar, plus those of the libraries on the class path (Spring Boot's modules,
 * bootswarm-common). A renamed property, or a misspelt variable in the chart, fails here.
 */
class EnvBindingTest {

    private static final String METADATA = "META-INF/spring-configuration-metadata.json";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** properties of libraries (every metadata file that is not one of the five services') */
    private static final List<Property> LIBRARIES = new ArrayList<>();
    private static final Map<Component, List<Property>> OWN = new EnumMap<>(Component.class);

    record Property(String name, String type, String origin) {
        boolean map() {
            return type != null && (type.startsWith("java.util.Map<") || type.equals("java.util.Map")
                    || type.startsWith("java.util.Properties"));
        }

        /** SPRING_DATASOURCE_URL style names this property answers to */
        List<String> envNames() {
            String upper = name.toUpperCase(Locale.ROOT).replace('.', '_');
            return List.of(upper.replace("-", ""), upper.replace('-', '_'));
        }

        boolean boundBy(String env) {
            for (String name : envNames()) {
                if (env.equals(name) || (map() && env.startsWith(name + "_"))) {
                    return true;
                }
            }
            return false;
        }
    }

    @BeforeAll
    static void loadMetadata() throws IOException, ClassNotFoundException {
        ClassLoader loader = EnvBindingTest.class.getClassLoader();
        Map<Component, String> locations = new EnumMap<>(Component.class);
        for (Component component : Component.values()) {
            Class<?> properties = Class.forName(component.propertiesClass, false, loader);
            locations.put(component, properties.getProtectionDomain().getCodeSource().getLocation().toString());
        }
        for (URL url : Collections.list(loader.getResources(METADATA))) {
            String where = url.toString();
            Component owner = null;
            for (var e : locations.entrySet()) {
                if (where.startsWith("jar:" + e.getValue() + "!/") || where.startsWith(e.getValue())) {
                    owner = e.getKey();
                }
            }
            List<Property> properties = read(url);
            if (owner == null) {
                LIBRARIES.addAll(properties);
            } else {
                OWN.computeIfAbsent(owner, c -> new ArrayList<>()).addAll(properties);
            }
        }
        for (Component component : Component.values()) {
            assertThat(OWN.get(component))
                    .as("no %s in %s's jar (%s): spring-boot-configuration-processor did not run "
                            + "(javac 23+ needs -proc:full, the root pom's maven.compiler.proc)", METADATA, component,
                            locations.get(component))
                    .isNotEmpty();
        }
    }

    private static List<Property> read(URL url) {
        try (InputStream in = url.openStream()) {
            JsonNode root = JSON.readTree(in);
            List<Property> properties = new ArrayList<>();
            for (JsonNode p : root.path("properties")) {
                properties.add(new Property(p.path("name").asString(), p.path("type").asString(null), url.toString()));
            }
            return properties;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static List<Property> propertiesOf(Component component) {
        List<Property> all = new ArrayList<>(LIBRARIES);
        all.addAll(OWN.get(component));
        return all;
    }

    /** the variables of the service's container that bind to no property of it */
    static Set<String> unbound(Component component, Set<String> env) {
        List<Property> properties = propertiesOf(component);
        Set<String> unbound = new TreeSet<>();
        for (String name : env) {
            if (properties.stream().noneMatch(p -> p.boundBy(name))) {
                unbound.add(name);
            }
        }
        return unbound;
    }

    @Test
    void everyVariableTheChartSetsBindsToAPropertyOfItsService() {
        Map<String, Set<String>> failures = new TreeMap<>();
        int checked = 0;
        for (ValuesSet set : ValuesSet.values()) {
            Rendered rendered = set.render();
            for (Component component : Component.values()) {
                if (!rendered.deploys(component)) {
                    continue;
                }
                Set<String> env = rendered.environment(rendered.container(component)).keySet();
                checked += env.size();
                Set<String> unbound = unbound(component, env);
                if (!unbound.isEmpty()) {
                    failures.put(set.file + " " + component.label, unbound);
                }
            }
        }
        assertThat(failures).as("environment variables of the chart that bind to no configuration property of their "
                + "service (renamed property? misspelt variable?)").isEmpty();
        assertThat(checked).isGreaterThan(100);
    }

    @Test
    void theRelaxedBindingRulesAreSpringBoots() {
        Property url = new Property("bootswarm.seed.advertised-api-url", "java.lang.String", "test");
        assertThat(url.boundBy("BOOTSWARM_SEED_ADVERTISED_API_URL")).isTrue();
        assertThat(url.boundBy("BOOTSWARM_SEED_ADVERTISEDAPIURL")).isTrue();
        assertThat(url.boundBy("BOOTSWARM_SEED_ADVERTISED_API")).isFalse();
        assertThat(url.boundBy("BOOTSWARM_SEED_ADVERTISED_API_URL_X")).isFalse();
        Property kafka = new Property("spring.kafka.properties", "java.util.Map<java.lang.String,java.lang.String>", "test");
        assertThat(kafka.boundBy("SPRING_KAFKA_PROPERTIES_SECURITY_PROTOCOL")).isTrue();
        assertThat(unbound(Component.SEED, Set.of("BOOTSWARM_SEED_ADVERTISED_HOSTNAME", "SERVER_PORT")))
                .containsExactly("BOOTSWARM_SEED_ADVERTISED_HOSTNAME");
        // a service's own properties are not another's
        assertThat(unbound(Component.TRACKER, Set.of("BOOTSWARM_SEED_PEER_PORT"))).containsExactly("BOOTSWARM_SEED_PEER_PORT");
    }
}
