package io.bootswarm.fleet;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tried as a new user would: a second agent started on its own, with the endpoints the local fleet
 * prints ({@code bin/fleet}), joins the running fleet, takes a launch and serves the image over NBD.
 * Before the embedded broker honoured its port, the agent was told a Kafka port nobody listened on
 * and never saw its launch command.
 */
class JoiningAgentIT extends FleetITSupport {

    @Override
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults.withKafkaPort(freePort());
    }

    @Test
    void agentStartedOnItsOwnWithThePrintedEndpointsServesALaunch() throws Exception {
        Path original = Tools.image(work.resolve("join.img"), 16L * 1024 * 1024, 5);
        UUID imageId = UUID.fromString(client.uploadImage("join-image", original).path("id").asString());

        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "-Xmx384m", "io.bootswarm.agent.NodeAgentApplication"));
        fleet.joinProperties("joining-host", work.resolve("joining-agent"), freePort(), freePort(), freePort())
                .forEach((k, v) -> cmd.add("--" + k + "=" + v));
        assertThat(cmd).contains("--spring.kafka.bootstrap-servers=127.0.0.1:" + fleet.options().kafkaPort());
        Process agent = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "joining-agent.log").toFile()).start();
        try {
            client.awaitHostUp("joining-host", T);
            UUID launchId = UUID.fromString(client.launch(imageId, List.of("joining-host"), null).path("id").asString());
            String nbd = client.awaitLaunchReady(launchId, T).path("hosts").get(0).path("nbdUri").asString();
            Path copy = work.resolve("join-copy.img");
            Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, copy.toString());
            assertThat(Tools.sha256(copy)).isEqualTo(Tools.sha256(original));
        } finally {
            agent.destroyForcibly().waitFor();
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
