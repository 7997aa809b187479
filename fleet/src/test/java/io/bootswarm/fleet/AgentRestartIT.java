package io.bootswarm.fleet;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * An agent process killed with SIGKILL in the middle of a read and started again: the pieces it
 * had verified are not fetched again (counted), writes acknowledged and flushed before the kill are
 * still there, and a client that reconnects (as QEMU does with {@code reconnect-delay}) reads on
 * across the restart without an error.
 */
class AgentRestartIT extends FleetITSupport {

    /**
     * QEMU's {@code reconnect-delay} for the reader: how long requests wait for the agent to come
     * back. Longer than the 30 s of the guest, so that a loaded build machine does not fail
     * the test; AgentStartBenchmark measures how long the agent really takes.
     */
    private static final int RECONNECT_DELAY_SECONDS = 120;

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

    /**
     * The guest, as an NBD client: QEMU's NBD driver with {@code reconnect-delay} (the
     * hypervisor's own block driver, here in {@code qemu-img convert}, throttled so that the read is
     * still under way when the agent is killed) reads the whole export of a demand-only launch while
     * the agent is SIGKILLed and started again. The read completes without an error, every byte is
     * the image's, and writes flushed before the kill are in it.
     */
    @Test
    void readerWithReconnectReadsEveryByteAcrossKillAndRestart() throws Exception {
        long size = 48L * 1024 * 1024;
        Path original = Tools.image(work.resolve("reconnect.img"), size, 11);
        UUID imageId = UUID.fromString(client.uploadImage("reconnect-image", original).path("id").asString());
        Path data = work.resolve("reconnect-data");
        int apiPort = freePort();
        int nbdPort = freePort();
        Map<String, Object> props = agentProperties("reconnect-host", data, apiPort, nbdPort);
        AgentProcess agent = AgentProcess.start(props, Path.of("target", "agent-reconnect-first.log"));
        AgentProcess restarted = null;
        Process reader = null;
        try {
            String agentUrl = "http://127.0.0.1:" + apiPort;
            client.awaitHostUp("reconnect-host", T);
            UUID launchId = UUID.fromString(client.launch(imageId, List.of("reconnect-host"),
                    Map.of("policy", "DEMAND", "backgroundFill", false), null).path("id").asString());
            String nbd = client.awaitLaunchReady(launchId, T).path("hosts").get(0).path("nbdUri").asString();
            String export = nbd.substring(nbd.lastIndexOf('/') + 1);

            long early = 4L << 20;
            long late = size - (8L << 20);
            Tools.ok(T, Tools.qemuIo(nbd, "write -P 0x5a " + early + " 65536", "write -P 0xa5 " + late + " 65536",
                    "flush").toArray(String[]::new));
            JsonNode before = client.disk(agentUrl, launchId);
            int total = before.path("piecesTotal").asInt();
            int killAt = before.path("piecesPresent").asInt() + (total - before.path("piecesPresent").asInt()) / 4;

            Path copy = work.resolve("reconnect-copy.img");
            Path readerLog = work.resolve("reconnect-reader.log");
            reader = new ProcessBuilder("qemu-img", "convert", "-O", "raw",
                    "--object", "throttle-group,id=slow,x-bps-read=" + (4 << 20),
                    "--image-opts", "driver=throttle,throttle-group=slow,file.driver=nbd,file.server.type=inet,"
                    + "file.server.host=127.0.0.1,file.server.port=" + nbdPort + ",file.export=" + export
                    + ",file.reconnect-delay=" + RECONNECT_DELAY_SECONDS, copy.toString())
                    .redirectErrorStream(true).redirectOutput(readerLog.toFile()).start();
            int present = 0;
            long deadline = System.nanoTime() + T.toNanos();
            while (present < killAt && System.nanoTime() < deadline && reader.isAlive()) {
                present = client.disk(agentUrl, launchId).path("piecesPresent").asInt();
            }
            agent.kill();
            assertThat(reader.isAlive()).as("reader still reading when the agent was killed (%s)",
                    Files.exists(readerLog) ? Files.readString(readerLog) : "").isTrue();
            assertThat(present).as("pieces read before the kill").isBetween(killAt, total - 1);

            restarted = AgentProcess.start(props, Path.of("target", "agent-reconnect-second.log"));
            assertThat(reader.waitFor(RECONNECT_DELAY_SECONDS + T.toSeconds(), TimeUnit.SECONDS))
                    .as("reader done").isTrue();
            assertThat(reader.exitValue()).as("reader exit status: %s", Files.readString(readerLog)).isZero();

            Path expected = work.resolve("reconnect-expected.img");
            Files.copy(original, expected);
            try (RandomAccessFile f = new RandomAccessFile(expected.toFile(), "rw")) {
                byte[] pattern = new byte[65536];
                Arrays.fill(pattern, (byte) 0x5a);
                f.seek(early);
                f.write(pattern);
                Arrays.fill(pattern, (byte) 0xa5);
                f.seek(late);
                f.write(pattern);
            }
            assertThat(Tools.sha256(copy)).as("what the reader read across the restart")
                    .isEqualTo(Tools.sha256(expected));
        } finally {
            if (reader != null) {
                reader.destroyForcibly();
            }
            agent.kill();
            if (restarted != null) {
                restarted.kill();
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
        return AgentProcess.start(agentProperties("restart-host", data, apiPort, nbdPort),
                Path.of("target", "agent-restart-" + run + ".log")).process();
    }

    private static Map<String, Object> agentProperties(String host, Path data, int apiPort, int nbdPort) {
        Map<String, Object> props = fleet.agentProperties(host, data);
        props.put("server.port", apiPort);
        props.put("bootswarm.agent.nbd.port", nbdPort);
        return props;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
