package io.bootswarm.fleet;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Base of the end-to-end tests: each test class gets a local fleet (infrastructure and services, no
 * agents) and a client of the fleet's REST APIs. A class that keeps the test options and
 * {@link #sharesFleet() shares} gets the {@link SharedFleet}, and the agents it started in the fleet
 * are closed after its tests (or, when it {@link #breaksFleet() breaks} the fleet, the fleet is);
 * any other class gets a fleet of its own in its temporary directory, started before its tests and
 * closed after them.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(SharedFleet.class)
abstract class FleetITSupport {

    /** How long one end-to-end step may take. */
    static final Duration T = Duration.ofMinutes(2);

    @TempDir
    static Path work;

    static LocalFleet fleet;
    static FleetClient client;

    private boolean shared;
    private int agentsBefore;

    /** The options the test class's fleet starts with: the test defaults unless the class changes them. */
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults;
    }

    /**
     * Whether this class may run on the fleet other classes use (when it keeps the test options): false
     * for a class that needs a fleet nobody else touched.
     */
    boolean sharesFleet() {
        return true;
    }

    /**
     * Whether this class leaves the fleet's services stopped or replaced (a fault test): it is then the
     * shared fleet's last user, which is closed after it.
     */
    boolean breaksFleet() {
        return false;
    }

    /**
     * Where {@code testClass} runs, as its declarations tell (for ordering classes): 0 on the shared
     * fleet, 1 on the shared fleet as its last user, 2 on a fleet of its own or none.
     */
    static int fleetOrder(Class<?> testClass) {
        if (!FleetITSupport.class.isAssignableFrom(testClass)) {
            return 2;
        }
        int order = 0;
        for (Class<?> c = testClass; c != FleetITSupport.class; c = c.getSuperclass()) {
            for (var m : c.getDeclaredMethods()) {
                switch (m.getName()) {
                    case "options", "sharesFleet" -> {
                        return 2;
                    }
                    case "breaksFleet" -> order = 1;
                    default -> {
                    }
                }
            }
        }
        return order;
    }

    @BeforeAll
    void startFleet() {
        LocalFleet.Options defaults = LocalFleet.Options.forTests(work.resolve("fleet"));
        LocalFleet.Options options = options(defaults);
        shared = options.equals(defaults) && sharesFleet();
        if (shared) {
            fleet = SharedFleet.acquire();
            agentsBefore = fleet.agents().size();
        } else {
            SharedFleet.closeShared();
            fleet = LocalFleet.start(options);
        }
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
    void stopFleet() throws IOException {
        if (fleet != null) {
            if (shared && breaksFleet()) {
                SharedFleet.closeShared();
            } else if (shared) {
                List<LocalFleet.Agent> agents = fleet.agents();
                for (LocalFleet.Agent agent : agents.subList(agentsBefore, agents.size())) {
                    agent.close();
                    FileSystemUtils.deleteRecursively(agent.dataDirectory());
                }
            } else {
                fleet.close();
            }
            fleet = null;
        }
    }
}
