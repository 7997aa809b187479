package io.bootswarm.fleet;

import io.bootswarm.agent.launch.Disks;
import tools.jackson.databind.JsonNode;

import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * The real boot trace of {@code shared/traces/debian12-boot.csv} replayed as the hypervisor through an
 * agent's disk, with the original think times, over a link capped at 100 Mbps: once to record the
 * profile (its trace goes to profile-service), then side by side in profile mode (window-randomized
 * prefetch) and demand mode, each on a fresh agent. Reports demand misses, their waits and the
 * completion times. The image is 4 GiB with random bytes in every piece the trace reads, zeros
 * elsewhere. Not a test: the build never runs it (it takes a few minutes).
 *
 * <pre>
 * $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.TraceReplayBenchmark [trace.csv] [rate=12500KB] [window=32]
 * </pre>
 */
final class TraceReplayBenchmark {

    record Read(long micros, long offset, int length) {
    }

    static List<Read> load(Path csv) throws Exception {
        List<Read> reads = new ArrayList<>();
        for (String line : Files.readAllLines(csv).subList(1, Files.readAllLines(csv).size())) {
            String[] f = line.split(",");
            if (f[1].equals("READ")) {
                reads.add(new Read((long) (Double.parseDouble(f[0]) * 1e6), Long.parseLong(f[2]),
                        Integer.parseInt(f[3])));
            }
        }
        return reads;
    }

    /** Replays with the trace's gaps between reads (a stalled read delays the rest); returns seconds. */
    static double replay(LocalFleet.Agent agent, UUID diskId, List<Read> reads) throws Exception {
        var disk = agent.context().getBean(Disks.class).find(diskId).orElseThrow().disk();
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 22);
        long start = System.nanoTime();
        long previous = 0;
        for (Read r : reads) {
            long gap = r.micros() - previous;
            previous = r.micros();
            if (gap > 0) {
                Thread.sleep(Duration.ofNanos(gap * 1000));
            }
            buf.clear().limit(r.length());
            disk.read(r.offset(), buf);
        }
        return (System.nanoTime() - start) / 1e9;
    }

    public static void main(String[] args) throws Exception {
        Path csv = Path.of(args.length > 0 ? args[0] : "../shared/traces/debian12-boot.csv");
        String rate = args.length > 1 ? args[1] : "12500KB";
        int window = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        List<Read> reads = load(csv);
        long size = 4L << 30;
        int piece = 256 * 1024;
        BitSet touched = new BitSet();
        for (Read r : reads) {
            for (long p = r.offset() / piece; p <= (r.offset() + r.length() - 1) / piece; p++) {
                touched.set((int) p);
            }
        }
        Path work = Files.createTempDirectory("bootswarm-trace-bench");
        Path image = work.resolve("debian-like.img");
        byte[] data = new byte[piece];
        byte[] zeros = new byte[piece];
        Random random = new Random(1);
        try (OutputStream out = Files.newOutputStream(image)) {
            for (int p = 0; p < size / piece; p++) {
                if (touched.get(p)) {
                    random.nextBytes(data);
                    out.write(data);
                } else {
                    out.write(zeros);
                }
            }
        }
        Duration t = Duration.ofMinutes(10);
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")))) {
            FleetClient client = fleet.client();
            UUID imageId = UUID.fromString(client.uploadImage("debian-like", image).path("id").asString());
            Files.delete(image);
            Map<String, Object> link = Map.of("bootswarm.agent.swarm.download-rate", rate);
            String workload = "boot";

            LocalFleet.Agent first = fleet.startAgent("trace-record", link);
            client.awaitHostUp(first.name(), t);
            UUID d1 = UUID.fromString(client.createDisk(first.apiUrl(), imageId,
                    Map.of("workload", workload, "policy", "DEMAND")).path("id").asString());
            double recordSeconds = replay(first, d1, reads);
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(first.apiUrl() + "/api/v1/disks/" + d1
                    + "/trace")).header("Authorization", "Bearer " + fleet.auth().token(LocalFleet.OPERATOR))
                    .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            String compact = fleet.profileUrl() + "/api/v1/profiles/" + imageId + "/" + workload + "/compact";
            FleetClient.await(() -> {
                try {
                    return client.get(compact).path("runs").asInt() == 1;
                } catch (FleetClient.HttpError e) {
                    return false;
                }
            }, t, "profile");
            first.close();

            double[] memory = new double[1];
            String[] modes = {"PROFILE", "DEMAND"};
            Map<String, JsonNode> views = new java.util.LinkedHashMap<>();
            Map<String, Double> seconds = new java.util.LinkedHashMap<>();
            for (String mode : modes) {
                LocalFleet.Agent a = fleet.startAgent("trace-" + mode.toLowerCase(), link);
                client.awaitHostUp(a.name(), t);
                UUID d = UUID.fromString(client.createDisk(a.apiUrl(), imageId,
                        Map.of("workload", workload, "policy", mode, "window", window)).path("id").asString());
                if (mode.equals("PROFILE")) {
                    FleetClient.await(() -> client.disk(a.apiUrl(), d).path("profileRuns").asInt() == 1, t, "profile");
                }
                seconds.put(mode, replay(a, d, reads));
                views.put(mode, client.disk(a.apiUrl(), d));
                // memory-cached playback: the same replay once every piece is on the host
                if (mode.equals("DEMAND")) {
                    memory[0] = replay(a, d, reads);
                }
                a.close();
            }
            System.out.printf("%ntrace %s: %d reads, %d pieces; link %s/s; window %d%n", csv, reads.size(),
                    touched.cardinality(), rate, window);
            System.out.printf("recording run (demand): %.2f s; memory-cached replay M^-1(A) = %.2f s%n", recordSeconds,
                    memory[0]);
            for (String mode : modes) {
                JsonNode v = views.get(mode);
                System.out.printf("  %-7s %.2f s (normalized %.2f)  demand misses %4d  wait p50 %.1f ms p99 %.1f ms"
                                + "  prefetched %d%n", mode, seconds.get(mode), seconds.get(mode) / memory[0],
                        v.path("demandMisses").asInt(), v.path("demandWaitP50Millis").asDouble(),
                        v.path("demandWaitP99Millis").asDouble(), v.path("prefetched").asLong());
            }
            System.out.printf("completion time ratio profile/demand: %.2f%n", seconds.get("PROFILE") / seconds.get("DEMAND"));
        }
    }
}
