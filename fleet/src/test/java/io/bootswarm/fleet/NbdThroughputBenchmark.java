package io.bootswarm.fleet;

import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The whole read path measured against a local file, side by side in one run: an image uploaded
 * to the seed, launched through the tracker on an agent, read once through NBD so every piece is
 * on the host, then read in alternating rounds by {@code qemu-img convert} from the local file
 * and from the agent's export (TCP and Unix socket), and by {@code nbdcopy}. Also times the
 * launch call to a READY NBD URI. Not a test: the build never runs it.
 *
 * <pre>
 * ./mvnw -q install -DskipTests
 * ./mvnw -q -pl fleet dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * $JAVA_HOME/bin/java -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.NbdThroughputBenchmark [image.raw | size-MiB] [rounds]
 * </pre>
 *
 * qemu-img writes to qemu's {@code null-co} driver (it refuses /dev/null), nbdcopy to {@code null:}.
 */
final class NbdThroughputBenchmark {

    public static void main(String[] args) throws Exception {
        Path work = Files.createTempDirectory("bootswarm-bench");
        Path image;
        if (args.length > 0 && Files.exists(Path.of(args[0]))) {
            image = Path.of(args[0]);
        } else {
            long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
            image = Tools.image(work.resolve("bench.img"), mib << 20, 5);
        }
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        long size = Files.size(image);
        Duration t = Duration.ofMinutes(10);
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")))) {
            FleetClient client = fleet.client();
            fleet.startAgent("bench-host", Map.of());
            UUID imageId = UUID.fromString(client.uploadImage("bench", image).path("id").asString());
            client.awaitHostUp("bench-host", t);

            double[] readyMs = new double[5];
            JsonNode host = null;
            for (int i = 0; i < readyMs.length; i++) {
                long t0 = System.nanoTime();
                UUID launchId = UUID.fromString(client.launch(imageId, List.of("bench-host"), null).path("id")
                        .asString());
                host = client.awaitLaunchReady(launchId, t).path("hosts").get(0);
                readyMs[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(readyMs);
            String tcp = host.path("nbdUri").asString();
            String unix = host.path("nbdUnixUri").asString();
            String nullTarget = "driver=null-co,size=" + ((size + 511) / 512 * 512);

            Map<String, String[]> variants = new LinkedHashMap<>();
            variants.put("qemu-img convert, local file", new String[]{"qemu-img", "convert", "-n", "-f", "raw",
                    image.toString(), "--target-image-opts", "driver=null-co,size=" + size});
            variants.put("qemu-img convert, agent NBD/TCP", new String[]{"qemu-img", "convert", "-n", "-f", "raw",
                    tcp, "--target-image-opts", nullTarget});
            variants.put("qemu-img convert, agent NBD/unix", new String[]{"qemu-img", "convert", "-n", "-f", "raw",
                    unix, "--target-image-opts", nullTarget});
            variants.put("nbdcopy, local file", new String[]{"nbdcopy", image.toString(), "null:"});
            variants.put("nbdcopy, agent NBD/TCP", new String[]{"nbdcopy", tcp, "null:"});

            long cold = System.nanoTime();
            Tools.ok(t, variants.get("qemu-img convert, agent NBD/TCP"));
            double coldS = (System.nanoTime() - cold) / 1e9;
            for (String[] cmd : variants.values()) {
                Tools.ok(t, cmd);
            }
            Map<String, double[]> seconds = new LinkedHashMap<>();
            variants.keySet().forEach(k -> seconds.put(k, new double[rounds]));
            for (int r = 0; r < rounds; r++) {
                for (var e : variants.entrySet()) {
                    long t0 = System.nanoTime();
                    Tools.ok(t, e.getValue());
                    seconds.get(e.getKey())[r] = (System.nanoTime() - t0) / 1e9;
                }
            }
            System.out.printf("%nimage %d MiB (%s), %d rounds, %d cores, java %s%n", size >> 20, image, rounds,
                    Runtime.getRuntime().availableProcessors(), Runtime.version());
            System.out.printf("first read through the swarm (all pieces fetched from the seed): %.2f s, %.0f MiB/s%n",
                    coldS, size / coldS / (1 << 20));
            System.out.printf("launch call to READY NBD URI: median %.0f ms (min %.0f, max %.0f, %d launches)%n",
                    readyMs[readyMs.length / 2], readyMs[0], readyMs[readyMs.length - 1], readyMs.length);
            double localQemu = median(seconds.get("qemu-img convert, local file"));
            double localCopy = median(seconds.get("nbdcopy, local file"));
            for (var e : seconds.entrySet()) {
                double m = median(e.getValue());
                double base = e.getKey().startsWith("nbdcopy") ? localCopy : localQemu;
                System.out.printf("  %-34s median %6.0f MiB/s   ratio to local file %.2f%n", e.getKey(),
                        size / m / (1 << 20), base / m);
            }
            fleet.agents().forEach(LocalFleet.Agent::close);
        }
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
