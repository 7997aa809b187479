package io.bootswarm.fleet;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 11's reproduction: a fresh launch of a 1 GiB image of distinct random pieces, read whole
 * through a cold agent by the clients a hypervisor's block jobs use, with their default depth of
 * requests in flight ({@code nbdcopy}: several connections, 64 requests each; {@code qemu-img
 * convert -W}: out of order writes, 16 coroutines). Every byte must be right, the reader must see no
 * I/O error, and the seed must never have closed an agent's connection for a protocol error (the
 * agent once pipelined more block requests than the seed accepts, the seed hung up, and reads
 * failed with EIO). The time of each read is printed beside the same client reading the image from
 * nbdkit's file plugin, a figure, not an assertion.
 *
 * <p>The seed's upload is limited to {@value #SEED_RATE}/s, as a seed that many hosts share is (and
 * as one reading a cold image from its disk is): a seed on loopback serving from the page cache
 * answers faster than the agent asks, its queue of requests never fills, and the failure hides.
 */
class ColdReadIT extends FleetITSupport {

    static final String SEED_RATE = "40MB";

    static final Duration READ = Duration.ofMinutes(10);
    static final int PIECE = 256 * 1024;
    /** 1.06 GiB: 4,352 pieces, 4,216 of them non-zero. */
    static final int PIECES = 4352;
    static final int ZERO_EVERY = 32;

    static Tools.Image image;
    static UUID imageId;

    @Override
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults.withSeedProperties(Map.of("bootswarm.seed.upload-rate", SEED_RATE));
    }

    @BeforeAll
    void uploadImage() throws Exception {
        Tools.requireSpace(work, 8L << 30);
        image = Tools.distinctPieces(work.resolve("cold.img"), PIECES, PIECE, ZERO_EVERY, 11);
        assertThat(image.pieces() - image.zeroPieces()).isGreaterThanOrEqualTo(4000);
        JsonNode uploaded = client.uploadImage("cold-image", image.file());
        imageId = UUID.fromString(uploaded.path("id").asString());
        assertThat(uploaded.path("pieceSize").asInt()).isEqualTo(PIECE);
        assertThat(uploaded.path("zeroPieces").asInt()).isEqualTo(image.zeroPieces());
    }

    @Test
    void nbdcopyWithItsDefaultsReadsAColdLaunchWholeWithoutTheSeedClosingTheAgent() throws Exception {
        LocalFleet.Agent agent = fleet.startAgent("cold-nbdcopy", Map.of());
        String nbd = coldLaunch(agent);
        double before = seedProtocolErrors();
        Path copy = work.resolve("nbdcopy.img");
        long t0 = System.nanoTime();
        Tools.Result r = Tools.run(READ, "nbdcopy", nbd, copy.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        double closes = seedProtocolErrors() - before;
        try {
            assertThat(r.exit()).as("nbdcopy's exit (no EIO): %s", r.output()).isZero();
            assertThat(closes).as("agent connections the seed closed for a protocol error").isZero();
            assertThat(Files.size(copy)).isEqualTo(image.size());
            assertThat(Tools.sha256(copy)).as("the copy read through the cold agent").isEqualTo(image.sha256());
        } finally {
            Files.deleteIfExists(copy);
            agent.close(); // the next test's cold agent reads from the seed alone, not from this one
        }
        double reference = reference("nbdcopy \"$uri\" null:");
        System.out.printf("cold read by nbdcopy (defaults) of %d MiB through the agent: %.1f s; nbdkit file plugin, "
                + "same image: %.1f s%n", image.size() >> 20, seconds, reference);
    }

    @Test
    void qemuImgConvertWithOutOfOrderWritesReadsAColdLaunchWholeWithoutTheSeedClosingTheAgent() throws Exception {
        LocalFleet.Agent agent = fleet.startAgent("cold-qemu-img", Map.of());
        String nbd = coldLaunch(agent);
        double before = seedProtocolErrors();
        Path copy = work.resolve("qemu-img.img");
        long t0 = System.nanoTime();
        Tools.Result r = Tools.run(READ, "qemu-img", "convert", "-m", "16", "-W", "-f", "raw", "-O", "raw", nbd,
                copy.toString());
        double seconds = (System.nanoTime() - t0) / 1e9;
        double closes = seedProtocolErrors() - before;
        try {
            assertThat(r.exit()).as("qemu-img's exit (no EIO): %s", r.output()).isZero();
            assertThat(closes).as("agent connections the seed closed for a protocol error").isZero();
            assertThat(Tools.sha256(copy)).as("the copy read through the cold agent").isEqualTo(image.sha256());
        } finally {
            Files.deleteIfExists(copy);
            agent.close(); // the next test's cold agent reads from the seed alone, not from this one
        }
        double reference = reference("qemu-img convert -m 16 -W -f raw -O raw \"$uri\" " + copy + " && rm " + copy);
        System.out.printf("cold read by qemu-img convert -m 16 -W of %d MiB through the agent: %.1f s; nbdkit file "
                + "plugin, same image: %.1f s%n", image.size() >> 20, seconds, reference);
    }

    /** Launches the image on a new agent (an empty store); its NBD URI. */
    private static String coldLaunch(LocalFleet.Agent agent) throws Exception {
        String host = agent.name();
        client.awaitHostUp(host, T);
        UUID launch = UUID.fromString(client.launch(imageId, List.of(host), null).path("id").asString());
        String nbd = client.awaitLaunchReady(launch, T).path("hosts").get(0).path("nbdUri").asString();
        assertThat(client.disk(agent.apiUrl(), launch).path("piecesPresent").asInt()).as("a cold agent").isZero();
        return nbd;
    }

    private static double seedProtocolErrors() {
        FunctionCounter c = fleet.seed().getBean(MeterRegistry.class).find("bootswarm.seed.peer.protocol.errors")
                .functionCounter();
        assertThat(c).as("the seed's counter of connections closed for a protocol error").isNotNull();
        return c.count();
    }

    /** Seconds the same client takes to read the original image from nbdkit's file plugin. */
    private static double reference(String run) throws Exception {
        long t0 = System.nanoTime();
        Tools.ok(READ, "nbdkit", "-U", "-", "file", image.file().toString(), "--run", run);
        return (System.nanoTime() - t0) / 1e9;
    }
}
