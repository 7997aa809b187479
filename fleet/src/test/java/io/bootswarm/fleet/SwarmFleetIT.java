package io.bootswarm.fleet;

import io.bootswarm.agent.launch.Disks;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * VMTorrent's streaming across hosts, with the real seed, tracker, profile-service and agents:
 * agents feed each other, profiles make a second run wait less, co-resident launches share the
 * host's pieces, and a disk reads as a file through FUSE.
 */
class SwarmFleetIT extends FleetITSupport {

    static final Duration T = Duration.ofMinutes(3);
    static final String RATE = "8MB"; // a 256 KiB piece takes ~31 ms at this rate

    @Override
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults.withSeedProperties(Map.of("bootswarm.seed.upload-rate", RATE));
    }

    static UUID upload(String name, long size, long seed) throws Exception {
        Path file = Tools.image(work.resolve(name + ".img"), size, seed);
        return UUID.fromString(client.uploadImage(name, file).path("id").asString());
    }

    @Test
    void fourAgentsFeedEachOtherAndTheSeedUploadsLittleMoreThanOneCopy() throws Exception {
        Path original = Tools.image(work.resolve("swarm.img"), 40L * 1024 * 1024, 11);
        JsonNode image = client.uploadImage("swarm-image", original);
        UUID imageId = UUID.fromString(image.path("id").asString());
        List<LocalFleet.Agent> agents = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            agents.add(fleet.startAgent("swarm-" + i, Map.of("bootswarm.agent.swarm.upload-rate", RATE)));
        }
        for (LocalFleet.Agent a : agents) {
            client.awaitHostUp(a.name(), T);
        }
        UUID launch = UUID.fromString(client.launch(imageId, agents.stream().map(LocalFleet.Agent::name).toList(),
                Map.of("policy", "DEMAND", "backgroundFill", true), null).path("id").asString());
        client.awaitLaunchReady(launch, T);
        long fromPeers = 0;
        for (int i = 0; i < agents.size(); i++) {
            String url = agents.get(i).apiUrl();
            UUID disk = launch; // a launch's disk on each host has the launch's id
            FleetClient.await(() -> {
                JsonNode d = client.disk(url, disk);
                return d.path("piecesPresent").asInt() == d.path("piecesTotal").asInt();
            }, T, "agent " + i + " complete");
            JsonNode d = client.disk(url, disk);
            fromPeers += d.path("piecesFetched").asLong() - d.path("piecesFromSeed").asLong();
            Path copy = work.resolve("swarm-copy-" + i + ".img");
            Tools.ok(T, "nbdcopy", d.path("nbdUri").asString(), copy.toString());
            assertThat(Tools.sha256(copy)).as("agent %d's copy", i).isEqualTo(Tools.sha256(original));
        }
        long seedUploaded = client.image(imageId).path("uploadedBytes").asLong();
        long nonZero = image.path("nonZeroBytes").asLong();
        System.out.printf("4 agents: seed uploaded %.2f x the image's non-zero bytes; %d pieces came from peers%n",
                (double) seedUploaded / nonZero, fromPeers);
        assertThat(seedUploaded).isLessThan(nonZero * 3 / 2);
        assertThat(fromPeers).isPositive();
        agents.forEach(LocalFleet.Agent::close);
    }

    @Test
    void twoLaunchesOfOneImageOnOneHostFetchEachPieceOnce() throws Exception {
        Path original = Tools.image(work.resolve("shared.img"), 12L * 1024 * 1024, 12);
        UUID imageId = UUID.fromString(client.uploadImage("shared-image", original).path("id").asString());
        LocalFleet.Agent agent = fleet.startAgent("shared-host", Map.of());
        client.awaitHostUp("shared-host", T);
        UUID first = UUID.fromString(client.launch(imageId, List.of("shared-host"), null).path("id").asString());
        UUID second = UUID.fromString(client.launch(imageId, List.of("shared-host"), null).path("id").asString());
        String sha = Tools.sha256(original);
        for (UUID launch : List.of(first, second)) {
            String nbd = client.awaitLaunchReady(launch, T).path("hosts").get(0).path("nbdUri").asString();
            Path copy = work.resolve("shared-" + launch + ".img");
            Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, copy.toString());
            assertThat(Tools.sha256(copy)).isEqualTo(sha);
        }
        JsonNode a = client.disk(agent.apiUrl(), first);
        JsonNode b = client.disk(agent.apiUrl(), second);
        assertThat(a.path("piecesFetched").asLong()).as("pieces fetched by the host for both launches")
                .isEqualTo(a.path("piecesTotal").asLong());
        assertThat(b.path("piecesFetched").asLong()).isEqualTo(a.path("piecesFetched").asLong());
        // each launch has its own copy-on-write overlay
        Tools.ok(T, Tools.qemuIo(a.path("nbdUri").asString(), "write -P 0x11 0 4096").toArray(String[]::new));
        Tools.Result readB = Tools.run(T, Tools.qemuIo(b.path("nbdUri").asString(), "read -P 0x11 0 4096")
                .toArray(String[]::new));
        assertThat(readB.output()).as("the other launch does not see the write").contains("Pattern verification failed");
        agent.close();
    }

    /** A synthetic VM run: bursts of reads over a sparse set of pieces, with think time between bursts. */
    record Read(long gapMicros, long offset, int length) {
    }

    static List<Read> trace(long size, long seed, int variant) {
        Random base = new Random(seed);
        int pieces = (int) (size / (256 * 1024));
        List<Integer> hot = new ArrayList<>();
        for (int i = 0; i < pieces; i++) {
            if (base.nextInt(3) == 0) {
                hot.add(i); // about a third of the image is ever read
            }
        }
        Random run = new Random(seed * 31 + variant);
        List<Read> reads = new ArrayList<>();
        for (int i = 0; i < hot.size(); i++) {
            int piece = hot.get(i);
            if (run.nextInt(10) == 0) {
                continue; // runs differ a little
            }
            boolean burstStart = i % 4 == 0;
            for (int r = 0; r < 4; r++) {
                long gap = burstStart && r == 0 ? 80_000 + run.nextInt(40_000) : run.nextInt(500);
                reads.add(new Read(gap, (long) piece * 256 * 1024 + r * 65536L, 65536));
            }
        }
        return reads;
    }

    /**
     * Replays reads through the disk's device (the path NBD and FUSE use) as a VM would, thinking between
     * bursts for the trace's gaps (the pauses are the workload, not a wait for an event); returns the seconds
     * it took, a figure that is printed, not asserted on.
     */
    static double replay(LocalFleet.Agent agent, UUID diskId, List<Read> reads) throws Exception {
        var disk = agent.context().getBean(Disks.class).find(diskId).orElseThrow().disk();
        ByteBuffer buf = ByteBuffer.allocateDirect(65536);
        long start = System.nanoTime();
        for (Read r : reads) {
            if (r.gapMicros() > 0) {
                Thread.sleep(Duration.ofNanos(r.gapMicros() * 1000));
            }
            buf.clear().limit(r.length());
            disk.read(r.offset(), buf);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    @Test
    void aSecondRunWithTheProfileOfTheFirstWaitsLessThanDemandMode() throws Exception {
        long size = 48L * 1024 * 1024;
        UUID imageId = upload("profiled-image", size, 13);
        Map<String, Object> slowLink = Map.of("bootswarm.agent.swarm.download-rate", RATE);
        String workload = "boot-" + UUID.randomUUID().toString().substring(0, 8);

        LocalFleet.Agent recorder = fleet.startAgent("profile-1", slowLink);
        client.awaitHostUp("profile-1", T);
        UUID first = UUID.fromString(client.createDisk(recorder.apiUrl(), imageId,
                Map.of("workload", workload, "policy", "PROFILE")).path("id").asString());
        replay(recorder, first, trace(size, 5, 1));
        assertThat(client.disk(recorder.apiUrl(), first).hasNonNull("profileRuns")).as("no profile yet").isFalse();
        JsonNode traced = post(recorder.apiUrl() + "/api/v1/disks/" + first + "/trace");
        assertThat(traced.hasNonNull("traceId")).isTrue();
        String compact = fleet.profileUrl() + "/api/v1/profiles/" + imageId + "/" + workload + "/compact";
        FleetClient.await(() -> {
            try {
                return client.get(compact).path("runs").asInt() == 1;
            } catch (FleetClient.HttpError e) {
                return false;
            }
        }, T, "the first run's profile");
        recorder.close();

        List<Read> second = trace(size, 5, 2);
        LocalFleet.Agent profiled = fleet.startAgent("profile-2", slowLink);
        client.awaitHostUp("profile-2", T);
        UUID withProfile = UUID.fromString(client.createDisk(profiled.apiUrl(), imageId,
                Map.of("workload", workload, "policy", "PROFILE", "window", 8)).path("id").asString());
        FleetClient.await(() -> client.disk(profiled.apiUrl(), withProfile).path("profileRuns").asInt() == 1, T,
                "the profile to load");
        double profileSeconds = replay(profiled, withProfile, second);
        JsonNode p = client.disk(profiled.apiUrl(), withProfile);
        profiled.close();

        LocalFleet.Agent demand = fleet.startAgent("profile-3", slowLink);
        client.awaitHostUp("profile-3", T);
        UUID demandDisk = UUID.fromString(client.createDisk(demand.apiUrl(), imageId,
                Map.of("workload", workload, "policy", "DEMAND")).path("id").asString());
        double demandSeconds = replay(demand, demandDisk, second);
        JsonNode d = client.disk(demand.apiUrl(), demandDisk);
        demand.close();

        System.out.printf("second run: profile %.2f s, %d demand misses (p50 %.1f ms, p99 %.1f ms); demand %.2f s, "
                        + "%d misses (p50 %.1f ms, p99 %.1f ms); completion time ratio profile/demand %.2f%n",
                profileSeconds, p.path("demandMisses").asInt(), p.path("demandWaitP50Millis").asDouble(),
                p.path("demandWaitP99Millis").asDouble(), demandSeconds, d.path("demandMisses").asInt(),
                d.path("demandWaitP50Millis").asDouble(), d.path("demandWaitP99Millis").asDouble(),
                profileSeconds / demandSeconds);
        // counted, not timed: the profile's prefetch leaves the second run fewer reads to wait for
        assertThat(p.path("demandMisses").asInt()).isLessThan(d.path("demandMisses").asInt());
    }

    private static JsonNode post(String url) throws Exception {
        var http = java.net.http.HttpClient.newHttpClient();
        var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url))
                        .header("Authorization", "Bearer " + fleet.auth().token(LocalFleet.OPERATOR))
                        .POST(java.net.http.HttpRequest.BodyPublishers.noBody()).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return tools.jackson.databind.json.JsonMapper.builder().build().readTree(r.body());
    }

    @Test
    void aDiskReadsAsAFileThroughFuseAndWritesStayOnTheHost() throws Exception {
        Path original = Tools.image(work.resolve("fuse.img"), 20L * 1024 * 1024, 14);
        String sha = Tools.sha256(original);
        UUID imageId = UUID.fromString(client.uploadImage("fuse-image", original).path("id").asString());
        LocalFleet.Agent agent = fleet.startAgent("fuse-host", Map.of("bootswarm.agent.fuse.enabled", true));
        client.awaitHostUp("fuse-host", T);
        UUID launch = UUID.fromString(client.launch(imageId, List.of("fuse-host"), null).path("id").asString());
        client.awaitLaunchReady(launch, T);
        String file = client.disk(agent.apiUrl(), launch).path("filePath").asString();
        assertThat(file).endsWith(launch + "/disk.img");
        assertThat(Files.size(Path.of(file))).isEqualTo(Files.size(original));
        Tools.ok(T, "cmp", file, original.toString());

        byte[] pattern = new byte[10_000];
        Arrays.fill(pattern, (byte) 0x6b);
        try (RandomAccessFile f = new RandomAccessFile(file, "rw")) {
            f.seek(1_000_003);
            f.write(pattern);
            f.getFD().sync();
        }
        byte[] back = new byte[pattern.length];
        try (RandomAccessFile f = new RandomAccessFile(file, "r")) {
            f.seek(1_000_003);
            f.readFully(back);
        }
        assertThat(back).isEqualTo(pattern);
        String io = Tools.ok(T, Tools.qemuIo(client.disk(agent.apiUrl(), launch).path("nbdUri").asString(),
                "read -P 0x6b 1000003 10000").toArray(String[]::new));
        assertThat(io).as("the write through FUSE is seen over NBD").doesNotContain("Pattern verification failed");
        assertThat(Tools.sha256(fleet.workDirectory().resolve("seed/images/" + imageId + ".img"))).isEqualTo(sha);
        agent.close();
    }
}
