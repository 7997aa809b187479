package io.bootswarm.fleet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A node agent in a JVM of its own, so that it can be killed like a crashed host process
 * ({@link #kill()} is SIGKILL) and started again on the same data directory.
 *
 * @param process the agent's JVM
 * @param log     where its standard output and error go
 */
record AgentProcess(Process process, Path log) {

    /** The JVM running this test, also the agent's (Java 25). */
    static final String JAVA = ProcessHandle.current().info().command().orElse("java");

    /**
     * Starts {@code io.bootswarm.agent.NodeAgentApplication} on this JVM's class path (as the fleet
     * tests run it), or from {@code jar} (the node-agent's executable jar, as deployed) when not null.
     */
    static AgentProcess start(Map<String, Object> properties, Path jar, List<String> jvmOptions, Path log)
            throws IOException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx512m"));
        cmd.addAll(jvmOptions);
        if (jar != null) {
            cmd.addAll(List.of("-jar", jar.toString()));
        } else {
            cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.bootswarm.agent.NodeAgentApplication"));
        }
        properties.forEach((k, v) -> cmd.add("--" + k + "=" + v));
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        return new AgentProcess(p, log);
    }

    /**
     * The training run of the agent's ahead-of-time cache ({@code io.bootswarm.agent.aot.AotTraining}, as the
     * image build runs it) on the class path {@link #start} gives the agent, with {@code jvmOptions} less any
     * {@code -XX:AOTCache} and {@code -Xlog:aot}: writes {@code cache}, or throws.
     */
    static void trainAotCache(Path jar, List<String> jvmOptions, Path cache, Path log)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(JAVA, "-Xmx512m"));
        jvmOptions.stream().filter(o -> !o.startsWith("-XX:AOTCache=") && !o.startsWith("-Xlog:aot")).forEach(cmd::add);
        cmd.addAll(List.of("-XX:AOTCacheOutput=" + cache, "-Xlog:aot=error",
                "-cp", jar != null ? jar.toString() : System.getProperty("java.class.path"),
                "io.bootswarm.agent.aot.AotTraining"));
        Files.createDirectories(log.toAbsolutePath().getParent());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new IllegalStateException("AOT training still running after 10 minutes; see " + log);
        }
        if (p.exitValue() != 0 || !Files.isRegularFile(cache)) {
            throw new IllegalStateException("AOT training failed (exit " + p.exitValue() + "); see " + log);
        }
    }

    /** On this JVM's class path. */
    static AgentProcess start(Map<String, Object> properties, Path log) throws IOException {
        return start(properties, null, List.of(), log);
    }

    /** SIGKILL, and waits until the process is gone. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(1, TimeUnit.MINUTES);
    }

    /** SIGTERM (a normal exit: shutdown hooks run, a class-data archive is written), and waits until it is gone. */
    void stop() throws InterruptedException {
        process.destroy();
        process.waitFor(1, TimeUnit.MINUTES);
    }

    boolean isAlive() {
        return process.isAlive();
    }
}
