package io.bootswarm.fleet;

import io.bootswarm.agent.NodeAgentApplication;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.tracker.TrackerServiceApplication;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.env.EnumerablePropertySource;
import org.springframework.core.env.PropertySource;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A guest-like reader (qemu-img reading the whole disk, as a backup or a block-mirror job does)
 * keeps working through faults during a read of a cold image (issue 11): the seed killed with
 * SIGKILL and started again, a peer that turns to sending corrupt blocks, tarpit peers that
 * unchoke and never send, and the tracker going away and coming back. Every read must end with
 * exit 0 and every byte right.
 *
 * <p>So that the seed can be killed like a crashed process, this class runs it in a JVM of its own
 * (the fleet's in-process seed is closed and started again as a process with the same settings,
 * ports, store and database), rate-limited so that a read is still under way when a fault comes.
 * The tracker is stopped and started in this JVM (same port and peer-token key). Kafka cannot be
 * taken away and brought back: the fleet's embedded broker gives every principal a new random
 * password at each start and {@link LocalFleet} has no hook to stop and restart it on the same
 * port with the same credentials, so that half of the fault is not covered here.
 */
class ColdReadFaultsIT extends FleetITSupport {

    static final Duration READ = Duration.ofMinutes(3);
    static final int PIECE = 256 * 1024;
    static final String SEED_RATE = "8MB";
    /**
     * Tarpit peers in the swarm: as many as a fetch once made attempts per piece, so that a read that spends
     * its attempts peer by peer, each waiting out the request timeout, finds no honest source before it fails.
     */
    static final int TARPITS = 6;
    /** The demand deadline of the agent whose read waits out the seed's restart. */
    static final String SEED_DOWN = "5m";

    static Tools.Image image;
    static UUID imageId;
    static SwarmId swarm;
    static String seedUrl;
    static List<String> seedArgs;
    static Process seedProcess;
    static int seedRuns;
    static String trackerUrl;
    static final Map<String, Map<String, Object>> agentProperties = new LinkedHashMap<>();
    static final List<ConfigurableApplicationContext> agents = new ArrayList<>();
    static ConfigurableApplicationContext restartedTracker;

    /** This class closes the fleet's seed and tracker. */
    @Override
    boolean breaksFleet() {
        return true;
    }

    @BeforeAll
    void seedInAProcessOfItsOwn() throws Exception {
        image = Tools.distinctPieces(work.resolve("faults.img"), 256, PIECE, 16, 31);
        JsonNode uploaded = client.uploadImage("faults-image", image.file());
        imageId = UUID.fromString(uploaded.path("id").asString());
        swarm = SwarmId.parse(uploaded.path("swarmId").asString());
        trackerUrl = fleet.trackerUrl();
        seedUrl = fleet.seedUrl();
        // the agents' settings name the seed's manifest key, which the fleet reads from its seed
        for (String host : List.of("seed-kill", "turncoat", "tarpit", "away-1", "away-2")) {
            agentProperties.put(host, fleet.agentProperties(host, work.resolve("agents").resolve(host)));
        }
        // a read waits for a missing piece at most the agent's demand deadline (default 60 s) while no source
        // delivers it; the seed's JVM takes longer than that to start again on a busy build machine
        agentProperties.get("seed-kill").put("bootswarm.agent.swarm.demand-deadline", SEED_DOWN);
        ConfigurableApplicationContext seed = fleet.seed();
        int peerPort = seed.getBean(PeerWireServer.class).port();
        Map<String, String> args = commandLine(seed);
        args.put("server.port", Integer.toString(LocalFleet.port(seed)));
        args.put("bootswarm.seed.peer-port", Integer.toString(peerPort));
        args.put("bootswarm.seed.upload-rate", SEED_RATE);
        seedArgs = args.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toList();
        seed.close();
        startSeed();
    }

    @AfterAll
    void stopWhatThisClassStarted() throws Exception {
        for (ConfigurableApplicationContext a : agents) {
            a.close();
        }
        if (seedProcess != null) {
            seedProcess.destroyForcibly().waitFor();
        }
        if (restartedTracker != null) {
            restartedTracker.close();
        }
    }

    @Test
    void aReadWaitsOutTheSeedKilledAndRestartedAndEveryByteIsRight() throws Exception {
        Launched l = launch("seed-kill");
        Path copy = work.resolve("seed-kill.img");
        Process reader = reader(l.nbd(), copy);
        FleetClient.await(() -> present(l) >= 16 || !reader.isAlive(), T, "a third of the read");
        int presentAtKill = present(l);
        seedProcess.destroyForcibly().waitFor();
        assertThat(presentAtKill).as("pieces present when the seed was killed: the read was under way")
                .isLessThan(image.pieces() - image.zeroPieces());
        startSeed();
        finish(reader, copy, "the read across the seed's kill");
        assertThat(present(l)).isEqualTo(image.pieces() - image.zeroPieces());
    }

    @Test
    void aPeerThatTurnsToSendingCorruptBlocksIsBannedAndTheReadCompletesFromOthers() throws Exception {
        try (StandInPeer turncoat = StandInPeer.turncoat(image, swarm, 64)) {
            announce("turncoat-peer", turncoat.port());
            Launched l = launch("turncoat");
            Path copy = work.resolve("turncoat.img");
            finish(reader(l.nbd(), copy), copy, "the read with a turncoat peer");
            JsonNode disk = client.disk(l.agentUrl(), l.id());
            assertThat(turncoat.honestBlocks()).as("blocks the peer served right").isEqualTo(64);
            assertThat(turncoat.corruptBlocks()).as("blocks the peer served corrupt").isPositive();
            assertThat(disk.path("verificationFailures").asLong()).isPositive();
            assertThat(disk.path("bannedPeers").valueStream().map(JsonNode::asString).toList())
                    .contains("127.0.0.1:" + turncoat.port());
        }
    }

    @Test
    void tarpitPeersThatUnchokeAndNeverSendDoNotStopTheRead() throws Exception {
        List<StandInPeer> tarpits = new ArrayList<>();
        try {
            for (int i = 0; i < TARPITS; i++) {
                StandInPeer tarpit = StandInPeer.tarpit(image, swarm, i);
                tarpits.add(tarpit);
                announce("tarpit-" + i, tarpit.port());
            }
            Launched l = launch("tarpit");
            // an agent dials its swarm at its first fetch: the whole read starts once it is connected to every
            // tarpit and unchoked by it, or the seed alone could serve a read that began before those connections
            // were up, and the tarpits, never asked, would prove nothing. The first MiB alone failed with EIO when
            // its pieces asked tarpit after tarpit, each for the 20 s piece timeout, until the 60 s deadline
            readFirstMiB(l, "tarpit");
            FleetClient.await(() -> tarpits.stream().allMatch(t -> t.server.unchokedConnections() > 0), T,
                    "the agent connected to every tarpit and unchoked by it");
            Path copy = work.resolve("tarpit.img");
            long t0 = System.nanoTime();
            finish(reader(l.nbd(), copy), copy, "the read with " + TARPITS + " tarpit peers (bound " + READ + ")");
            System.out.printf("a %d MiB cold read with %d tarpit peers in the swarm: %.1f s (bound %s)%n",
                    image.size() >> 20, TARPITS, (System.nanoTime() - t0) / 1e9, READ);
            assertThat(tarpits.stream().mapToLong(StandInPeer::requests).sum())
                    .as("block requests the tarpits swallowed").isPositive();
        } finally {
            for (StandInPeer t : tarpits) {
                t.close();
            }
        }
    }

    @Test
    void runningDisksKeepReadingWhileTheTrackerIsAwayAndNewLaunchesFailClearlyThenSucceed() throws Exception {
        Launched l = launch("away-1");
        // one block first: a seed fetches the tracker's peer-token keys at the first token it checks, and cannot
        // check this agent's token while the tracker is away if it has never fetched them
        readFirstMiB(l, "away-1");
        ConfigurableApplicationContext tracker = restartedTracker != null ? restartedTracker : fleet.tracker();
        Map<String, String> args = commandLine(tracker);
        args.put("server.port", Integer.toString(LocalFleet.port(tracker)));
        tracker.close();
        try {
            Path copy = work.resolve("away-1.img");
            finish(reader(l.nbd(), copy), copy, "a cold read while the tracker is away");
            assertThat(present(l)).isEqualTo(image.pieces() - image.zeroPieces());
            ensureAgent("away-2");
            assertThatThrownBy(() -> client.launch(imageId, List.of("away-2"), null))
                    .as("a launch while the tracker is away").isInstanceOf(IOException.class);
        } finally {
            restartedTracker = TrackerServiceApplication.builder().run(args.entrySet().stream()
                    .map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        }
        awaitSeedAtTracker();
        Launched again = launch("away-2");
        Path secondCopy = work.resolve("away-2.img");
        finish(reader(again.nbd(), secondCopy), secondCopy, "a read of a launch made after the tracker came back");
        System.out.printf("launch calls of away-2 that waited out its open tracker circuit breaker: %.0f%n",
                agent("away-2").getBean(MeterRegistry.class)
                        .counter("bootswarm.agent.tracker.breaker.waits", "outcome", "through").count());
    }

    record Launched(UUID id, String nbd, String agentUrl) {
    }

    /** A cold agent {@code host} (started here unless it runs) with a launch of the image; its NBD URI. */
    private static Launched launch(String host) throws Exception {
        String agentUrl = ensureAgent(host);
        client.awaitHostUp(host, T);
        UUID id = UUID.fromString(client.launch(imageId, List.of(host), null).path("id").asString());
        String nbd = client.awaitLaunchReady(id, T).path("hosts").get(0).path("nbdUri").asString();
        return new Launched(id, nbd, agentUrl);
    }

    private static String ensureAgent(String host) {
        for (ConfigurableApplicationContext a : agents) {
            if (host.equals(a.getEnvironment().getProperty("bootswarm.agent.host-name"))) {
                return "http://127.0.0.1:" + LocalFleet.port(a);
            }
        }
        ConfigurableApplicationContext a = NodeAgentApplication.builder().run(LocalFleet.args(agentProperties.get(host)));
        agents.add(a);
        return "http://127.0.0.1:" + LocalFleet.port(a);
    }

    private static ConfigurableApplicationContext agent(String host) {
        return agents.stream().filter(a -> host.equals(a.getEnvironment().getProperty("bootswarm.agent.host-name")))
                .findFirst().orElseThrow();
    }

    private static int present(Launched l) throws IOException, InterruptedException {
        return client.disk(l.agentUrl(), l.id()).path("piecesPresent").asInt();
    }

    /** Reads the disk's first MiB (and so starts the agent's swarm connections) and checks that it was read. */
    private static void readFirstMiB(Launched l, String name) throws IOException, InterruptedException {
        Path head = work.resolve(name + ".head");
        Process first = new ProcessBuilder("qemu-img", "dd", "-f", "raw", "-O", "raw", "bs=1M", "count=1",
                "if=" + l.nbd(), "of=" + head).redirectErrorStream(true).start();
        assertThat(first.waitFor(READ.toMillis(), TimeUnit.MILLISECONDS)).as("the first block read").isTrue();
        assertThat(first.exitValue()).as("the first block read: %s", new String(first.getInputStream()
                .readAllBytes())).isZero();
    }

    /** qemu-img reading the whole export to {@code copy}, with its default settings. */
    private static Process reader(String nbd, Path copy) throws IOException {
        return new ProcessBuilder("qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, copy.toString())
                .redirectErrorStream(true).redirectOutput(copy.resolveSibling(copy.getFileName() + ".log").toFile())
                .start();
    }

    private static void finish(Process reader, Path copy, String what) throws Exception {
        boolean done = reader.waitFor(READ.toMillis(), TimeUnit.MILLISECONDS);
        if (!done) {
            reader.destroyForcibly().waitFor();
        }
        String log = Files.readString(copy.resolveSibling(copy.getFileName() + ".log"));
        assertThat(done).as("%s finished within %s: %s", what, READ, log).isTrue();
        assertThat(reader.exitValue()).as("%s: qemu-img's exit (no EIO): %s", what, log).isZero();
        assertThat(Tools.sha256(copy)).as(what).isEqualTo(image.sha256());
        Files.delete(copy);
    }

    /** Starts the seed process with the settings the fleet's seed had, and waits until it is registered. */
    private static void startSeed() throws Exception {
        List<String> cmd = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-cp", System.getProperty("java.class.path"), "-Xmx512m", "io.bootswarm.seed.SeedServiceApplication"));
        cmd.addAll(seedArgs);
        seedProcess = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(Path.of("target", "faults-seed-" + ++seedRuns + ".log").toFile()).start();
        HttpClient http = HttpClient.newHttpClient();
        FleetClient.await(() -> {
            if (!seedProcess.isAlive()) {
                throw new AssertionError("the seed process exited " + seedProcess.exitValue()
                        + "; see target/faults-seed-" + seedRuns + ".log");
            }
            try {
                return http.send(HttpRequest.newBuilder(URI.create(seedUrl + "/actuator/health/readiness")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
            } catch (IOException e) {
                return false;
            }
        }, T, "the seed process ready");
        awaitSeedAtTracker();
    }

    /** Waits until the tracker knows a live seed (a restarted tracker learns it at the seed's next registration). */
    private static void awaitSeedAtTracker() throws Exception {
        FleetClient.await(() -> {
            try {
                return !client.get(trackerUrl + "/api/v1/seeds").isEmpty();
            } catch (IOException e) {
                return false;
            }
        }, T, "a live seed at the tracker");
    }

    /** The settings a service of the fleet was started with (its command line). */
    private static Map<String, String> commandLine(ConfigurableApplicationContext ctx) {
        PropertySource<?> source = ctx.getEnvironment().getPropertySources().get("commandLineArgs");
        assertThat(source).isInstanceOf(EnumerablePropertySource.class);
        Map<String, String> args = new LinkedHashMap<>();
        for (String name : ((EnumerablePropertySource<?>) source).getPropertyNames()) {
            args.put(name, String.valueOf(source.getProperty(name)));
        }
        return args;
    }

    /** Registers a stand-in peer in the image's swarm through the tracker's announce, as an agent would. */
    private static void announce(String name, int port) throws Exception {
        String body = """
                {"swarmId":"%s","peerId":"%s","host":"127.0.0.1","port":%d,"left":0,"uploaded":0,"downloaded":0,
                 "event":"started","numWant":0}""".formatted(swarm.hex(),
                HexFormat.of().formatHex(("-XX0001-" + (name + "............").substring(0, 12)).getBytes()), port);
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create(trackerUrl + "/api/v1/announce")).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + fleet.auth().hostToken(name))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).contains("peerToken");
    }

    /**
     * A peer on the real wire protocol (the fleet's own peer wire server) that claims every piece and
     * unchokes everyone: a turncoat serves its first blocks right and every later one with a byte
     * flipped; a tarpit takes every request and never answers it.
     */
    static final class StandInPeer implements AutoCloseable {
        final PeerWireServer server;
        final AtomicLong honest = new AtomicLong();
        final AtomicLong corrupt = new AtomicLong();
        final AtomicLong requests = new AtomicLong();
        final CountDownLatch closed = new CountDownLatch(1);
        final RandomAccessFile file;

        private StandInPeer(Tools.Image image, SwarmId swarm, long honestBlocks, boolean tarpit, String name)
                throws IOException {
            file = new RandomAccessFile(image.file().toFile(), "r");
            int pieces = image.pieces();
            ServedSwarm served = new ServedSwarm() {
                @Override
                public int pieceCount() {
                    return pieces;
                }

                @Override
                public int pieceLength(int piece) {
                    return PIECE;
                }

                @Override
                public PieceSet available() {
                    return PieceSet.full(pieces);
                }

                @Override
                public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
                    requests.incrementAndGet();
                    if (tarpit) {
                        try {
                            closed.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        throw new IOException("tarpit closed");
                    }
                    synchronized (file) {
                        file.seek((long) piece * PIECE + begin);
                        file.readFully(dst, 0, length);
                    }
                    if (honest.incrementAndGet() > honestBlocks) {
                        honest.decrementAndGet();
                        dst[length / 2] ^= 0x5a;
                        corrupt.incrementAndGet();
                    }
                }
            };
            byte[] id = ("-XX0001-" + (name + "............").substring(0, 12)).getBytes();
            server = new PeerWireServer(PeerWireServer.Settings.defaults(new InetSocketAddress("127.0.0.1", 0)),
                    s -> s.equals(swarm) ? Optional.of(served) : Optional.empty(), id, PeerAccess.OPEN).start();
        }

        static StandInPeer turncoat(Tools.Image image, SwarmId swarm, long honestBlocks) throws IOException {
            return new StandInPeer(image, swarm, honestBlocks, false, "turncoat");
        }

        static StandInPeer tarpit(Tools.Image image, SwarmId swarm, int n) throws IOException {
            return new StandInPeer(image, swarm, 0, true, "tarpit-" + n);
        }

        int port() {
            return server.port();
        }

        long honestBlocks() {
            return honest.get();
        }

        long corruptBlocks() {
            return corrupt.get();
        }

        long requests() {
            return requests.get();
        }

        @Override
        public void close() throws IOException {
            closed.countDown();
            server.close();
            file.close();
        }
    }
}
