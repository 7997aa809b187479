package io.bootswarm.fleet;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent process killed with SIGKILL in the middle of a read and started again: the pieces it
 * had verified are not fetched again (counted), and writes acknowledged and flushed before the
 * kill are still there.
 */
class AgentRestartIT extends FleetITSupport {

    @Test
    void killedAgentKeepsVerifiedPiecesAndFlushedWrites() throws Exception {
        long size = 96L * 1024 * 1024;
        Path original = Tools.image(work.resolve("restart.img"), size, 3);
        UUID imageId = UUID.fromString(client.uploadImage("restart-image", original).path("id").asString());

        Path data = work.resolve("agent-data");
        int apiPort = freePort();
        int nbdPort = freePort();
        Process agent = startAgent(data, apiPort, nbdPort, "first");
        Process restarted = null;
        try {
            String agentUrl = "http://127.0.0.1:" + apiPort;
            client.awaitHostUp("restart-host", T);
            UUID launchId = UUID.fromString(client.launch(imageId, List.of("restart-host"), null).path("id").asString());
            String nbd = client.awaitLaunchReady(launchId, T).path("hosts").get(0).path("nbdUri").asString();

            // read the first third, and write + flush a pattern past it
            Tools.ok(T, Tools.qemuIo(nbd, "read 0 32M").toArray(String[]::new));
            Tools.ok(T, Tools.qemuIo(nbd, "write -P 0x77 50331648 131072", "flush").toArray(String[]::new));
            int presentBeforeKill = client.disk(agentUrl, launchId).path("piecesPresent").asInt();
            assertThat(presentBeforeKill).isPositive();

            // kill the agent while a full read is under way
            Process reader = new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "raw", nbd,
                    work.resolve("interrupted.img").toString()).redirectErrorStream(true)
                    .redirectOutput(work.resolve("interrupted.log").toFile()).start();
            int seenDuringRead = presentBeforeKill;
            long deadline = System.nanoTime() + T.toNanos();
            while (seenDuringRead < presentBeforeKill + 20 && System.nanoTime() < deadline && reader.isAlive()) {
                seenDuringRead = client.disk(agentUrl, launchId).path("piecesPresent").asInt();
            }
            agent.destroyForcibly().waitFor();
            reader.waitFor();
            assertThat(seenDuringRead).as("pieces present when the agent was killed")
                    .isGreaterThan(presentBeforeKill);

            restarted = startAgent(data, apiPort, nbdPort, "second");
            JsonNode reopened = awaitDisk(agentUrl, launchId);
            int presentAfterRestart = reopened.path("piecesPresent").asInt();
            int total = reopened.path("piecesTotal").asInt();
            assertThat(presentAfterRestart).as("verified pieces kept across the kill")
                    .isGreaterThanOrEqualTo(seenDuringRead);
            assertThat(reopened.path("piecesFetched").asLong()).isZero();

            Path copy = work.resolve("after-restart.img");
            Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, copy.toString());
            byte[] pattern = new byte[131072];
            Arrays.fill(pattern, (byte) 0x77);
            Path expected = work.resolve("expected.img");
            Files.copy(original, expected);
            try (RandomAccessFile f = new RandomAccessFile(expected.toFile(), "rw")) {
                f.seek(50331648);
                f.write(pattern);
            }
            assertThat(Tools.sha256(copy)).as("image with the flushed write").isEqualTo(Tools.sha256(expected));

            JsonNode done = client.disk(agentUrl, launchId);
            assertThat(done.path("piecesPresent").asInt()).isEqualTo(total);
            assertThat(done.path("piecesFetched").asLong()).as("pieces fetched after the restart")
                    .isEqualTo(total - presentAfterRestart);
        } finally {
            agent.destroyForcibly();
            if (restarted != null) {
                restarted.destroyForcibly().waitFor();
            }
        }
    }

    private JsonNode awaitDisk(String agentUrl, UUID id) throws Exception {
        JsonNode[] d = new JsonNode[1];
        FleetClient.await(() -> {
            try {
                d[0] = client.disk(agentUrl, id);
                return true;
            } catch (java.net.ConnectException e) {
                return false;
            }
        }, T, "agent back with disk " + id);
        return d[0];
    }

    /** Starts a node agent in its own JVM, so that it can be killed like a crashed host process. */
    private Process startAgent(Path data, int apiPort, int nbdPort, String run) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(
                ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "-Xmx512m",
                "io.bootswarm.agent.NodeAgentApplication"));
        Map<String, Object> props = fleet.agentProperties("restart-host", data);
        props.put("server.port", apiPort);
        props.put("bootswarm.agent.nbd.port", nbdPort);
        props.forEach((k, v) -> cmd.add("--" + k + "=" + v));
        return new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "agent-restart-" + run + ".log").toFile()).start();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
