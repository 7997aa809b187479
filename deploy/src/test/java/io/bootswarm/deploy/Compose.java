package io.bootswarm.deploy;

import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A compose deployment read as compose reads {@code -f a.yml -f b.yml}: the files' mappings merged key by
 * key (a later file's scalar wins), their lists (ports, volumes, ...) joined. Enough for what the tests
 * read (environment, ports, volumes, images, depends_on); {@code docker compose config} stays the
 * authority.
 */
final class Compose {

    private Compose() {
    }

    /** The merged {@code services} of the files, in order. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> services(Path... files) throws IOException {
        Map<String, Object> merged = new LinkedHashMap<>();
        for (Path file : files) {
            merge(merged, new Yaml().load(Files.readString(file)));
        }
        return (Map<String, Object>) merged.get("services");
    }

    /** The merged top-level mappings of the files (services, volumes). */
    static Map<String, Object> document(Path... files) throws IOException {
        Map<String, Object> merged = new LinkedHashMap<>();
        for (Path file : files) {
            merge(merged, new Yaml().load(Files.readString(file)));
        }
        return merged;
    }

    @SuppressWarnings("unchecked")
    private static void merge(Map<String, Object> into, Map<String, Object> from) {
        for (Map.Entry<String, Object> e : from.entrySet()) {
            Object existing = into.get(e.getKey());
            if (existing instanceof Map<?, ?> a && e.getValue() instanceof Map<?, ?> b) {
                Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) a);
                merge(copy, (Map<String, Object>) b);
                into.put(e.getKey(), copy);
            } else if (existing instanceof List<?> a && e.getValue() instanceof List<?> b) {
                List<Object> joined = new ArrayList<>(a);
                joined.addAll(b);
                into.put(e.getKey(), joined);
            } else {
                into.put(e.getKey(), e.getValue());
            }
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> service(Map<String, Object> services, String name) {
        Object definition = services.get(name);
        if (!(definition instanceof Map<?, ?>)) {
            throw new AssertionError("no compose service " + name);
        }
        return (Map<String, Object>) definition;
    }

    static String string(Map<String, Object> services, String name, String key) {
        return String.valueOf(service(services, name).get(key));
    }

    /** A service's environment, by name (list or mapping syntax). */
    static Map<String, String> environment(Map<String, Object> services, String name) {
        Object environment = service(services, name).get("environment");
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

    /** The container ports a service publishes or exposes. */
    @SuppressWarnings("unchecked")
    static Set<Integer> containerPorts(Map<String, Object> services, String name) {
        Map<String, Object> definition = service(services, name);
        Set<Integer> ports = new TreeSet<>();
        for (Object port : (Iterable<Object>) definition.getOrDefault("ports", List.of())) {
            if (port instanceof Map<?, ?> longSyntax) {
                ports.add(Integer.parseInt(String.valueOf(longSyntax.get("target"))));
            } else {
                // [host_ip:][host_port:]container_port[/protocol]
                String spec = String.valueOf(port);
                String container = spec.substring(spec.lastIndexOf(':') + 1).replaceAll("/.*$", "");
                ports.add(Integer.parseInt(container));
            }
        }
        for (Object port : (Iterable<Object>) definition.getOrDefault("expose", List.of())) {
            ports.add(Integer.parseInt(String.valueOf(port).replaceAll("/.*$", "")));
        }
        return ports;
    }

    /** The host addresses ("127.0.0.1:8080") a service publishes on (short syntax). */
    @SuppressWarnings("unchecked")
    static List<String> publishedHostPorts(Map<String, Object> services, String name) {
        List<String> published = new ArrayList<>();
        for (Object port : (Iterable<Object>) service(services, name).getOrDefault("ports", List.of())) {
            String spec = String.valueOf(port);
            published.add(spec.substring(0, spec.lastIndexOf(':')));
        }
        return published;
    }

    /** A service's named volumes: mount path to volume name (short syntax "name:/path[:ro]"). */
    @SuppressWarnings("unchecked")
    static Map<String, String> volumes(Map<String, Object> services, String name) {
        Map<String, String> mounts = new TreeMap<>();
        for (Object volume : (Iterable<Object>) service(services, name).getOrDefault("volumes", List.of())) {
            String[] parts = String.valueOf(volume).split(":");
            mounts.put(parts[1], parts[0]);
        }
        return mounts;
    }
}
