package io.bootswarm.agent.aot;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** When the agent says that the JVM started without the AOT cache it was given. */
class AotCacheCheckTest {

    private static final List<String> IMAGE_FLAGS = List.of("-XX:MaxRAMPercentage=75",
            "--enable-native-access=ALL-UNNAMED", "-XX:AOTCache=/app/node-agent.aot", "-Xlog:aot=off");

    @Test
    void aCacheTheJvmDidNotMapIsNamed() {
        assertThat(AotCacheCheck.unused(IMAGE_FLAGS, "mixed mode")).contains("/app/node-agent.aot");
    }

    @Test
    void aMappedCacheIsNotMentioned() {
        assertThat(AotCacheCheck.unused(IMAGE_FLAGS, "mixed mode, sharing")).isEmpty();
    }

    @Test
    void noCacheGivenIsNotMentioned() {
        assertThat(AotCacheCheck.unused(List.of("-Xmx512m"), "mixed mode")).isEmpty();
    }

    @Test
    void theLastCacheFlagIsTheOneTheJvmTook() {
        assertThat(AotCacheCheck.unused(List.of("-XX:AOTCache=/a.aot", "-XX:AOTCache=/b.aot"), "mixed mode"))
                .contains("/b.aot");
    }
}
