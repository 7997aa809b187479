package io.bootswarm.deploy;

import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** `helm lint --strict` (Helm's own library): the chart as shipped, and with every values set of the matrix. */
class ChartLintTest {

    @Test
    void theChartLintsStrictly() {
        LintResult result = Chart.lint();
        assertThat(result.isFailed()).as("lint failed: %s", result.getMessages()).isFalse();
        // the chart's own values leave PostgreSQL and Kafka to be named: lint renders `required` leniently
        // (Helm logs "Missing required value" to stderr), the values sets below name them
        assertThat(problems(result)).isEmpty();
    }

    @ParameterizedTest
    @EnumSource(ValuesSet.class)
    void theChartLintsStrictlyWithEachValuesSet(ValuesSet set, @TempDir Path scratch) throws IOException {
        LintResult result = Chart.lint(set.file, scratch);
        assertThat(result.isFailed()).as("lint of %s failed: %s", set.file, result.getMessages()).isFalse();
        assertThat(problems(result)).as(set.file).isEmpty();
    }

    /** every message but the INFO ones (an icon is "recommended") */
    private static List<String> problems(LintResult result) {
        return result.getMessages().stream().flatMap(m -> m.lines())
                .filter(line -> !line.isBlank() && !line.contains("[INFO]")).toList();
    }
}
