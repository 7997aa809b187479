package io.bootswarm.deploy;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.DaemonSet;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * The chart {@code helm/bootswarm}, rendered through Helm's own library (helm-java) and parsed into
 * fabric8's typed Kubernetes model. The chart directory can be pointed elsewhere with
 * {@code -Dbootswarm.chart.dir=...} (to show a broken copy fails the tests).
 */
final class Chart {

    static final Path MODULE = Path.of(System.getProperty("basedir", "")).toAbsolutePath();
    static final Path REPOSITORY = MODULE.getParent();
    static final Path DIR = Path.of(System.getProperty("bootswarm.chart.dir",
            REPOSITORY.resolve("helm/bootswarm").toString())).toAbsolutePath();
    static final Path VALUES = MODULE.resolve("src/test/resources/values");
    static final String RELEASE = "bootswarm";
    static final String NAMESPACE = "swarm";

    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();
    private static final Map<String, Rendered> CACHE = new ConcurrentHashMap<>();

    private Chart() {
    }

    /** The bootswarm workloads: component label, image name, kind of workload and main container. */
    enum Component {
        TRACKER("tracker", "tracker-service", Deployment.class, "io.bootswarm.tracker.TrackerProperties"),
        SEED("seed", "seed-service", StatefulSet.class, "io.bootswarm.seed.SeedProperties"),
        PROFILE("profile", "profile-service", Deployment.class, "io.bootswarm.profile.ProfileProperties"),
        ALLOCATOR("allocator", "allocator-service", Deployment.class, "io.bootswarm.allocator.AllocatorProperties"),
        NODE_AGENT("node-agent", "node-agent", DaemonSet.class, "io.bootswarm.agent.AgentProperties");

        final String label;
        final String image;
        final Class<? extends HasMetadata> workload;
        /** a class of the service's own jar: where its configuration metadata is */
        final String propertiesClass;

        Component(String label, String image, Class<? extends HasMetadata> workload, String propertiesClass) {
            this.label = label;
            this.image = image;
            this.workload = workload;
            this.propertiesClass = propertiesClass;
        }

        String objectName() {
            return RELEASE + "-" + label;
        }
    }

    static String appVersion() {
        try {
            Map<String, Object> chart = new Yaml().load(Files.readString(DIR.resolve("Chart.yaml")));
            return String.valueOf(chart.get("appVersion"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A values file: one of src/test/resources/values, or with the prefix {@code chart:} one shipped in the
     * chart's directory (values-ha.yaml).
     */
    static Path valuesFile(String name) {
        return name.startsWith("chart:") ? DIR.resolve(name.substring("chart:".length())) : VALUES.resolve(name);
    }

    /** The values files of a comma-separated list, in the order Helm applies them (later ones win). */
    static List<Path> valuesFiles(String list) {
        return java.util.Arrays.stream(list.split(",")).map(String::strip).map(Chart::valuesFile).toList();
    }

    /** Renders with values files (a comma-separated list, see {@link #valuesFiles}) (cached). */
    static Rendered render(String valuesFile) {
        return CACHE.computeIfAbsent(valuesFile, f -> render(f, Map.of()));
    }

    /** Renders with a values file and --set overrides. */
    static Rendered render(String valuesFile, Map<String, String> sets) {
        return render(RELEASE, valuesFile, sets);
    }

    /** Renders as another release. */
    static Rendered render(String release, String valuesFile, Map<String, String> sets) {
        TemplateCommand template = template(release, valuesFile, sets);
        String manifests = template.call();
        return Rendered.parse(valuesFile, manifests);
    }

    /** Renders a values set that must fail, and returns Helm's error message. */
    static String renderError(String valuesFile, Map<String, String> sets) {
        TemplateCommand template = template(RELEASE, valuesFile, sets);
        try {
            String manifests = template.call();
            throw new AssertionError("rendering " + valuesFile + " " + sets + " should have failed, got:\n" + manifests);
        } catch (RuntimeException e) {
            return Objects.requireNonNullElse(e.getMessage(), e.toString());
        }
    }

    private static TemplateCommand template(String release, String valuesFile, Map<String, String> sets) {
        TemplateCommand template = new Helm(DIR).template().withName(release).withNamespace(NAMESPACE);
        if (valuesFile != null) {
            for (Path file : valuesFiles(valuesFile)) {
                template = template.withValuesFile(file);
            }
        }
        for (Map.Entry<String, String> set : new TreeMap<>(sets).entrySet()) {
            template = template.set(set.getKey(), set.getValue());
        }
        return template;
    }

    /** `helm lint --strict` of the chart as it is (its own values.yaml). */
    static LintResult lint() {
        return new Helm(DIR).lint().strict().call();
    }

    /**
     * `helm lint --strict` of a copy of the chart whose values.yaml is the chart's, deep-merged with
     * values files (a comma-separated list; Helm's lint takes no values file).
     */
    static LintResult lint(String valuesFile, Path scratch) throws IOException {
        Path copy = scratch.resolve("bootswarm");
        try (Stream<Path> files = Files.walk(DIR)) {
            for (Path source : files.sorted(Comparator.naturalOrder()).toList()) {
                Path target = copy.resolve(DIR.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        }
        Yaml yaml = new Yaml();
        Map<String, Object> merged = yaml.load(Files.readString(DIR.resolve("values.yaml")));
        for (Path file : valuesFiles(valuesFile)) {
            Map<String, Object> overrides = yaml.load(Files.readString(file));
            deepMerge(merged, overrides);
        }
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        Files.writeString(copy.resolve("values.yaml"), new Yaml(options).dump(merged));
        return new Helm(copy).lint().strict().call();
    }

    @SuppressWarnings("unchecked")
    private static void deepMerge(Map<String, Object> into, Map<String, Object> from) {
        for (Map.Entry<String, Object> e : from.entrySet()) {
            if (e.getValue() instanceof Map<?, ?> value && into.get(e.getKey()) instanceof Map<?, ?> existing) {
                deepMerge((Map<String, Object>) existing, (Map<String, Object>) value);
            } else {
                into.put(e.getKey(), e.getValue());
            }
        }
    }

    /** One rendered manifest: the document as Helm wrote it and as fabric8's model read it. */
    record Manifest(String source, Map<String, Object> raw, KubernetesResource typed) {
        String kind() {
            return String.valueOf(raw.get("kind"));
        }

        String name() {
            return ((HasMetadata) typed).getMetadata().getName();
        }

        HasMetadata object() {
            return (HasMetadata) typed;
        }
    }

    /** The manifests of one rendering. */
    record Rendered(String valuesFile, List<Manifest> manifests) {

        @SuppressWarnings("unchecked")
        static Rendered parse(String valuesFile, String text) {
            List<Manifest> manifests = new ArrayList<>();
            String source = null;
            for (String document : text.split("(?m)^---\\s*$")) {
                for (String line : document.lines().toList()) {
                    if (line.startsWith("# Source: ")) {
                        source = line.substring("# Source: ".length()).strip();
                    }
                }
                Object loaded = new Yaml().load(document);
                if (loaded == null) {
                    continue;
                }
                Map<String, Object> raw = (Map<String, Object>) loaded;
                String apiVersion = (String) raw.get("apiVersion");
                String kind = (String) raw.get("kind");
                if (apiVersion == null || kind == null) {
                    throw new AssertionError(source + ": a document without apiVersion/kind:\n" + document);
                }
                Class<? extends KubernetesResource> type = SERIALIZATION.getRegisteredKubernetesResource(apiVersion, kind);
                if (type == null) {
                    // not in fabric8's core model (ServiceMonitor): read generically, its shape is asserted by the tests
                    type = GenericKubernetesResource.class;
                }
                KubernetesResource typed;
                try {
                    typed = SERIALIZATION.unmarshal(document, type);
                } catch (RuntimeException e) {
                    throw new AssertionError(source + ": " + kind + " does not parse into " + type.getName() + ": "
                            + e.getMessage(), e);
                }
                manifests.add(new Manifest(source, raw, typed));
            }
            return new Rendered(valuesFile, List.copyOf(manifests));
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return manifests.stream().map(Manifest::typed).filter(type::isInstance).map(type::cast).toList();
        }

        List<Manifest> ofKind(String kind) {
            return manifests.stream().filter(m -> m.kind().equals(kind)).toList();
        }

        <T extends HasMetadata> T one(Class<T> type, String name) {
            List<T> found = all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
            if (found.size() != 1) {
                throw new AssertionError(valuesFile + ": expected one " + type.getSimpleName() + " " + name + ", found "
                        + found.size() + " among " + summary());
            }
            return found.getFirst();
        }

        boolean has(Class<? extends HasMetadata> type, String name) {
            return all(type).stream().anyMatch(o -> o.getMetadata().getName().equals(name));
        }

        /** kind -> count, sorted */
        Map<String, Integer> counts() {
            Map<String, Integer> counts = new TreeMap<>();
            manifests.forEach(m -> counts.merge(m.kind(), 1, Integer::sum));
            return counts;
        }

        String summary() {
            StringBuilder s = new StringBuilder();
            counts().forEach((kind, n) -> s.append(s.isEmpty() ? "" : ", ").append(kind).append(' ').append(n));
            return manifests.size() + " objects (" + s + ")";
        }

        PodSpec podSpec(Component component) {
            HasMetadata workload = one(component.workload, component.objectName());
            return switch (workload) {
                case Deployment d -> d.getSpec().getTemplate().getSpec();
                case StatefulSet s -> s.getSpec().getTemplate().getSpec();
                case DaemonSet d -> d.getSpec().getTemplate().getSpec();
                default -> throw new IllegalStateException(workload.getKind());
            };
        }

        Map<String, String> podAnnotations(Component component) {
            HasMetadata workload = one(component.workload, component.objectName());
            return switch (workload) {
                case Deployment d -> d.getSpec().getTemplate().getMetadata().getAnnotations();
                case StatefulSet s -> s.getSpec().getTemplate().getMetadata().getAnnotations();
                case DaemonSet d -> d.getSpec().getTemplate().getMetadata().getAnnotations();
                default -> throw new IllegalStateException(workload.getKind());
            };
        }

        /** the service's own container (named after the component) */
        Container container(Component component) {
            return podSpec(component).getContainers().stream().filter(c -> c.getName().equals(component.label))
                    .findFirst().orElseThrow(() -> new AssertionError("no container " + component.label));
        }

        boolean deploys(Component component) {
            return has(component.workload, component.objectName());
        }

        /**
         * Every environment variable the container gets: the keys of the ConfigMaps it takes with
         * envFrom, then its env entries, by name (value: the literal, else "<valueFrom>").
         */
        Map<String, String> environment(Container container) {
            Map<String, String> env = new LinkedHashMap<>();
            for (EnvFromSource from : container.getEnvFrom()) {
                if (from.getConfigMapRef() == null) {
                    throw new AssertionError(container.getName() + ": envFrom other than a ConfigMap: " + from);
                }
                ConfigMap map = one(ConfigMap.class, from.getConfigMapRef().getName());
                String prefix = Objects.requireNonNullElse(from.getPrefix(), "");
                map.getData().forEach((k, v) -> env.put(prefix + k, v));
            }
            for (EnvVar var : container.getEnv()) {
                env.put(var.getName(), var.getValueFrom() != null ? "<valueFrom>" : var.getValue());
            }
            return env;
        }

        Set<Integer> containerPorts(Container container) {
            Set<Integer> ports = new LinkedHashSet<>();
            container.getPorts().forEach(p -> ports.add(p.getContainerPort()));
            return ports;
        }
    }
}
