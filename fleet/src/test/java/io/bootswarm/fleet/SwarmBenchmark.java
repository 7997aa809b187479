package io.bootswarm.fleet;

import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How much the seed uploads when N agents fetch one image at once, all links capped at the same
 * rate: the real seed, tracker and agents of the local fleet, over loopback. Each agent creates a
 * disk with background fill (the image's pieces, rarest first) and the run ends when every agent
 * has the whole image. Not a test: the build never runs it.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -pl fleet dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.SwarmBenchmark [agents=4] [image MiB=128] [rate per link=12.5MB]
 * </pre>
 */
final class SwarmBenchmark {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 128;
        String rate = args.length > 2 ? args[2] : "12500KB";
        Duration t = Duration.ofMinutes(20);
        Path work = Files.createTempDirectory("bootswarm-swarm-bench");
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet"))
                .withSeedProperties(Map.of("bootswarm.seed.upload-rate", rate)))) {
            FleetClient client = fleet.client();
            Path image = Tools.image(work.resolve("bench.img"), mib << 20, 21);
            JsonNode img = client.uploadImage("swarm-bench", image);
            UUID imageId = UUID.fromString(img.path("id").asString());
            List<LocalFleet.Agent> agents = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                agents.add(fleet.startAgent("bench-" + i, Map.of("bootswarm.agent.swarm.upload-rate", rate,
                        "bootswarm.agent.swarm.download-rate", rate)));
            }
            for (LocalFleet.Agent a : agents) {
                client.awaitHostUp(a.name(), t);
            }
            long t0 = System.nanoTime();
            List<UUID> disks = new ArrayList<>();
            for (LocalFleet.Agent a : agents) {
                disks.add(UUID.fromString(client.createDisk(a.apiUrl(), imageId,
                        Map.of("policy", "DEMAND", "backgroundFill", true)).path("id").asString()));
            }
            long fromSeed = 0;
            long fetched = 0;
            for (int i = 0; i < n; i++) {
                String url = agents.get(i).apiUrl();
                UUID disk = disks.get(i);
                FleetClient.await(() -> {
                    JsonNode d = client.disk(url, disk);
                    return d.path("piecesPresent").asInt() == d.path("piecesTotal").asInt();
                }, t, "agent " + i);
                JsonNode d = client.disk(url, disk);
                fromSeed += d.path("piecesFromSeed").asLong();
                fetched += d.path("piecesFetched").asLong();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long nonZero = img.path("nonZeroBytes").asLong();
            long seedUploaded = client.image(imageId).path("uploadedBytes").asLong();
            System.out.printf("%n%d agents, image %d MiB (%d MiB non-zero), every link capped at %s/s%n", n, mib,
                    nonZero >> 20, rate);
            System.out.printf("all agents complete in %.1f s; seed uploaded %.2f x the non-zero bytes; "
                    + "%.0f %% of pieces came from other agents%n", seconds, (double) seedUploaded / nonZero,
                    100.0 * (fetched - fromSeed) / fetched);
            agents.forEach(LocalFleet.Agent::close);
        }
    }
}
