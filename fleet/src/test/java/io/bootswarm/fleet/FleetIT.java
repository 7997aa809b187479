package io.bootswarm.fleet;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.ServedSwarm;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fleet as an orchestrator and a hypervisor use it, with real PostgreSQL and Kafka, real
 * sockets and Debian's NBD clients: upload an image, launch it through the tracker, read it over
 * NBD before it has been copied, write to it, and check that the seed's copy never changes.
 */
class FleetIT extends FleetITSupport {

    @Test
    void anImageLaunchedThroughTheTrackerReadsBackByteIdenticalOverNbdAndWritesNeverReachTheSeed() throws Exception {
        long size = 80L * 1024 * 1024 + 3 * 4096; // the last piece is short
        Path original = Tools.image(work.resolve("e2e.img"), size, 1);
        String sha = Tools.sha256(original);
        LocalFleet.Agent agent = fleet.startAgent("e2e-host", Map.of());

        JsonNode image = client.uploadImage("e2e-image", original);
        UUID imageId = UUID.fromString(image.path("id").asString());
        assertThat(image.path("size").asLong()).isEqualTo(size);
        client.awaitHostUp("e2e-host", T);

        long t0 = System.nanoTime();
        JsonNode launch = client.launch(imageId, List.of("e2e-host"), null);
        UUID launchId = UUID.fromString(launch.path("id").asString());
        JsonNode ready = client.awaitLaunchReady(launchId, T);
        long launchToReadyMs = (System.nanoTime() - t0) / 1_000_000;
        JsonNode host = ready.path("hosts").get(0);
        String nbd = host.path("nbdUri").asString();
        String nbdUnix = host.path("nbdUnixUri").asString();
        System.out.printf("launch call to READY NBD URI: %d ms%n", launchToReadyMs);

        JsonNode before = client.disk(agent.apiUrl(), launchId);
        assertThat(before.path("piecesPresent").asInt()).isZero();

        // the size as NBD clients see it, over TCP and over the Unix socket
        assertThat(Tools.ok(T, "nbdinfo", "--size", nbd).trim()).isEqualTo(Long.toString(size));
        assertThat(Tools.ok(T, "nbdinfo", "--size", nbdUnix).trim()).isEqualTo(Long.toString(size));
        assertThat(Tools.ok(T, "nbdinfo", "--list", nbd)).contains(launchId.toString());

        // a full read through the swarm equals the original
        Path copy = work.resolve("copy.img");
        Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, copy.toString());
        assertThat(Files.size(copy)).isEqualTo(size);
        assertThat(Tools.sha256(copy)).isEqualTo(sha);
        Path copy2 = work.resolve("copy2.img");
        Tools.ok(T, "nbdcopy", nbdUnix, copy2.toString());
        assertThat(Tools.sha256(copy2)).isEqualTo(sha);

        JsonNode after = client.disk(agent.apiUrl(), launchId);
        assertThat(after.path("piecesPresent").asInt()).isEqualTo(after.path("piecesTotal").asInt());
        assertThat(after.path("piecesTotal").asInt()).isEqualTo(image.path("pieceCount").asInt()
                - image.path("zeroPieces").asInt());

        // writes land in the copy-on-write overlay: read back through the export, seed untouched
        String io = Tools.ok(T, Tools.qemuIo(nbd,
                "write -P 0xab 1048576 65536", "write -P 0xcd 4097 1000", "flush",
                "read -P 0xab 1048576 65536", "read -P 0xcd 4097 1000").toArray(String[]::new));
        assertThat(io).doesNotContain("Pattern verification failed").contains("read 65536/65536");
        String io2 = Tools.ok(T, Tools.qemuIo(nbd, "read -P 0xab 1048576 65536").toArray(String[]::new));
        assertThat(io2).doesNotContain("Pattern verification failed");
        Path stored = fleet.workDirectory().resolve("seed/images/" + imageId + ".img");
        assertThat(Tools.sha256(stored)).as("the seed's stored image").isEqualTo(sha);
        assertThat(Tools.sha256(original)).isEqualTo(sha);
        // the tracker saw the progress the agent reported
        JsonNode tracked = client.awaitLaunch(launchId, l -> l.path("hosts").get(0).path("piecesPresent").asInt()
                == after.path("piecesTotal").asInt(), T);
        assertThat(tracked.path("state").asString()).isEqualTo("READY");
    }

    @Test
    void aPeerThatSendsCorruptBlocksNeverGetsItsBytesToAReader() throws Exception {
        long size = 24L * 1024 * 1024 + 777; // not whole sectors: the export is padded with zeros
        Path original = Tools.image(work.resolve("poison.img"), size, 2);
        Path padded = work.resolve("poison-padded.img");
        Files.copy(original, padded);
        try (RandomAccessFile f = new RandomAccessFile(padded.toFile(), "rw")) {
            f.setLength((size + 511) / 512 * 512);
        }
        String sha = Tools.sha256(padded);
        LocalFleet.Agent agent = fleet.startAgent("poison-host", Map.of());
        JsonNode image = client.uploadImage("poison-image", original);
        UUID imageId = UUID.fromString(image.path("id").asString());
        int pieceSize = image.path("pieceSize").asInt();
        SwarmId swarm = SwarmId.parse(image.path("swarmId").asString());

        try (PoisonedPeer poison = new PoisonedPeer(original, size, pieceSize, swarm)) {
            announce(swarm, poison.port());
            client.awaitHostUp("poison-host", T);
            UUID launchId = UUID.fromString(client.launch(imageId, List.of("poison-host"), null).path("id").asString());
            String nbd = client.awaitLaunchReady(launchId, T).path("hosts").get(0).path("nbdUri").asString();

            Path copy = work.resolve("poison-copy.img");
            Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, copy.toString());
            assertThat(Tools.sha256(copy)).isEqualTo(sha);

            JsonNode disk = client.disk(agent.apiUrl(), launchId);
            assertThat(poison.blocksServed()).as("the poisoned peer was asked").isPositive();
            assertThat(disk.path("verificationFailures").asLong()).isPositive();
            assertThat(disk.path("bannedPeers").valueStream().map(JsonNode::asString).toList())
                    .contains("127.0.0.1:" + poison.port());
        }
    }

    @Test
    void withBackgroundFillAHostEndsWithTheWholeImageWithoutReadingIt() throws Exception {
        Path original = Tools.image(work.resolve("fill.img"), 16L * 1024 * 1024, 4);
        LocalFleet.Agent agent = fleet.startAgent("fill-host", Map.of());
        JsonNode image = client.uploadImage("fill-image", original);
        client.awaitHostUp("fill-host", T);
        JsonNode created = client.createDisk(agent.apiUrl(), UUID.fromString(image.path("id").asString()),
                Map.of("policy", "DEMAND", "backgroundFill", true));
        UUID diskId = UUID.fromString(created.path("id").asString());
        assertThat(created.path("options").path("backgroundFill").asBoolean()).isTrue();
        FleetClient.await(() -> {
            JsonNode d = client.disk(agent.apiUrl(), diskId);
            return d.path("piecesPresent").asInt() == d.path("piecesTotal").asInt();
        }, T, "background fill");
        JsonNode d = client.disk(agent.apiUrl(), diskId);
        assertThat(d.path("piecesFetched").asLong()).isEqualTo(d.path("piecesTotal").asLong());
        assertThat(d.path("prefetched").asLong()).isEqualTo(d.path("piecesTotal").asLong());
        assertThat(d.path("demandMisses").asInt()).isZero();
    }

    private static void announce(SwarmId swarm, int port) throws Exception {
        String body = """
                {"swarmId":"%s","peerId":"%s","host":"127.0.0.1","port":%d,"left":0,"uploaded":0,"downloaded":0,
                 "event":"started","numWant":0}""".formatted(swarm.hex(),
                HexFormat.of().formatHex("-XX0001-poisonedpeer".getBytes()), port);
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(fleet.trackerUrl() + "/api/v1/announce")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + fleet.auth().hostToken("poisoned-peer"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    /** A peer on the real wire protocol that holds every piece and flips one byte in every block it sends. */
    static final class PoisonedPeer implements AutoCloseable {
        final PeerWireServer server;
        final AtomicLong served = new AtomicLong();

        PoisonedPeer(Path file, long size, int pieceSize, SwarmId swarm) throws IOException {
            int pieces = (int) ((size + pieceSize - 1) / pieceSize);
            RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r");
            ServedSwarm corrupt = new ServedSwarm() {
                @Override
                public int pieceCount() {
                    return pieces;
                }

                @Override
                public int pieceLength(int piece) {
                    return (int) Math.min(pieceSize, size - (long) piece * pieceSize);
                }

                @Override
                public PieceSet available() {
                    return PieceSet.full(pieces);
                }

                @Override
                public synchronized void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
                    raf.seek((long) piece * pieceSize + begin);
                    raf.readFully(dst, 0, length);
                    dst[length / 2] ^= 0x5a;
                    served.incrementAndGet();
                }
            };
            byte[] id = "-XX0001-poisonedpeer".getBytes();
            server = new PeerWireServer(PeerWireServer.Settings.defaults(new InetSocketAddress("127.0.0.1", 0)),
                    s -> s.equals(swarm) ? Optional.of(corrupt) : Optional.empty(), id, PeerAccess.OPEN).start();
        }

        int port() {
            return server.port();
        }

        long blocksServed() {
            return served.get();
        }

        @Override
        public void close() {
            server.close();
        }
    }
}
