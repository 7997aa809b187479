package io.bootswarm.fleet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Base of the end-to-end tests: each test class gets a local fleet of its own (infrastructure and
 * services, no agents) in a temporary directory, started before its tests and closed after them,
 * and a client of the fleet's REST APIs.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class FleetITSupport {

    /** How long one end-to-end step may take. */
    static final Duration T = Duration.ofMinutes(2);

    @TempDir
    static Path work;

    static LocalFleet fleet;
    static FleetClient client;

    /** The options the test class's fleet starts with: the test defaults unless the class changes them. */
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults;
    }

    @BeforeAll
    void startFleet() {
        fleet = LocalFleet.start(options(LocalFleet.Options.forTests(work.resolve("fleet"))));
        client = fleet.client();
    }

    /** A free TCP port on this machine, for a process that must come back on the port it had. */
    static int freeTcpPort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts a node agent of the fleet in a JVM of its own, so that it can be killed as a crashed host
     * process is (SIGKILL) and started again on the same ports and data directory; its output goes to
     * {@code log}.
     */
    static Process startAgentProcess(String host, Path data, int apiPort, int nbdPort, Path log) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "-Xmx384m",
                "io.bootswarm.agent.NodeAgentApplication"));
        Map<String, Object> props = fleet.agentProperties(host, data);
        props.put("server.port", apiPort);
        props.put("bootswarm.agent.nbd.port", nbdPort);
        props.forEach((k, v) -> cmd.add("--" + k + "=" + v));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    @AfterAll
    void stopFleet() {
        if (fleet != null) {
            fleet.close();
            fleet = null;
        }
    }
}
