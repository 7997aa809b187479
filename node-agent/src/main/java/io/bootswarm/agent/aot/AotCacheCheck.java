package io.bootswarm.agent.aot;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.context.ApplicationListener;

import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Optional;

/**
 * Says so, in one line, when the JVM was given an ahead-of-time cache ({@code -XX:AOTCache}) and
 * did not map it: the start goes on without it, only slower (the image's flags silence the JVM's own
 * {@code aot} log, which would say it in three lines, and {@code -Xlog:aot} tells why). A cache is
 * refused when it was made by another JVM or for another class path, so one baked into the image
 * with the agent's jars is never used stale.
 */
public final class AotCacheCheck implements ApplicationListener<ApplicationEnvironmentPreparedEvent> {

    private static final Logger log = LoggerFactory.getLogger(AotCacheCheck.class);
    private static final String FLAG = "-XX:AOTCache=";

    @Override
    public void onApplicationEvent(ApplicationEnvironmentPreparedEvent event) {
        unused(ManagementFactory.getRuntimeMXBean().getInputArguments(), System.getProperty("java.vm.info", ""))
                .ifPresent(cache -> log.warn("the JVM did not map the AOT cache {}: starting without it, more slowly "
                        + "(-Xlog:aot tells why)", cache));
    }

    /**
     * The cache the JVM was given and did not map, if any.
     *
     * @param jvmArguments the JVM's input arguments
     * @param vmInfo       {@code java.vm.info}, which names {@code sharing} when an archive or cache is mapped
     */
    static Optional<String> unused(List<String> jvmArguments, String vmInfo) {
        Optional<String> cache = jvmArguments.stream().filter(a -> a.startsWith(FLAG))
                .map(a -> a.substring(FLAG.length())).reduce((a, b) -> b);
        return vmInfo.contains("sharing") ? Optional.empty() : cache;
    }
}
