package io.bootswarm.deploy;

import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** helm/bootswarm/README.md's table lists every value of values.yaml, and no value that is not there. */
class ChartReadmeTest {

    /** values documented as one object (Kubernetes types the user replaces whole) */
    private static final Set<String> WHOLE = Set.of("resources", "podSecurityContext", "containerSecurityContext");
    private static final Pattern ROW = Pattern.compile("(?m)^\\| `([A-Za-z0-9_.]+)` \\|");

    @Test
    void theReadmeTableListsEveryValue() throws IOException {
        Map<String, Object> values = new Yaml().load(Files.readString(Chart.DIR.resolve("values.yaml")));
        Set<String> leaves = new LinkedHashSet<>();
        collect(values, "", leaves);
        Set<String> documented = new LinkedHashSet<>();
        String readme = Files.readString(Chart.DIR.resolve("README.md"));
        assertThat(readme).contains("\n## Values\n");
        Matcher row = ROW.matcher(readme.substring(readme.indexOf("\n## Values\n")));
        while (row.find()) {
            documented.add(row.group(1));
        }
        assertThat(documented).as("values in README.md's table").containsExactlyInAnyOrderElementsOf(leaves);
    }

    @SuppressWarnings("unchecked")
    private static void collect(Map<String, Object> map, String prefix, Set<String> leaves) {
        map.forEach((key, value) -> {
            String path = prefix.isEmpty() ? key : prefix + "." + key;
            if (value instanceof Map<?, ?> nested && !nested.isEmpty() && !WHOLE.contains(key)) {
                collect((Map<String, Object>) nested, path, leaves);
            } else {
                leaves.add(path);
            }
        });
    }
}
