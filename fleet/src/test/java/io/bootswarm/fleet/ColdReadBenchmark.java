package io.bootswarm.fleet;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;

/**
 * Issue 11's reproduction as a measurement: a cold launch (a new agent host with no piece of the
 * image) read by {@code nbdcopy} with its default settings (several connections, many requests in
 * flight) and by {@code qemu-img convert -m 16 -W}, against nbdkit's file plugin serving the same
 * image file, alternated round by round in one run. Each bootswarm round starts a new agent and
 * closes it after, so every round fetches the whole image through the swarm from the seed. Not a
 * test: the build never runs it ({@code ColdReadIT} asserts the bytes).
 *
 * <pre>
 * ./mvnw -B -q -pl fleet -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt \
 *     -Dmdep.includeScope=test
 * $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED \
 *     -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.ColdReadBenchmark [size-MiB] [rounds]
 * </pre>
 *
 * The default image is 2 GiB from {@link Tools#image}: 8,192 pieces of 256 KiB, 4,778 of them
 * not all zero. Needs nbdkit (Debian's {@code nbdkit}), nbdcopy and qemu-img.
 */
final class ColdReadBenchmark {

    public static void main(String[] args) throws Exception {
        long mib = args.length > 0 ? Long.parseLong(args[0]) : 2048;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        Path work = Files.createTempDirectory("bootswarm-coldread");
        try {
            run(mib, rounds, work);
        } finally {
            org.springframework.util.FileSystemUtils.deleteRecursively(work); // a 2 GiB image and its pieces
        }
    }

    private static void run(long mib, int rounds, Path work) throws Exception {
        Path image = Tools.image(work.resolve("cold.img"), mib << 20, 11);
        long size = Files.size(image);
        Duration t = Duration.ofMinutes(15);
        Function<String, String[]> nbdcopy = uri -> new String[]{"nbdcopy", uri, "null:"};
        Function<String, String[]> qemuImg = uri -> new String[]{"qemu-img", "convert", "-m", "16", "-W", "-n",
                "-f", "raw", uri, "--target-image-opts", "driver=null-co,size=" + ((size + 511) / 512 * 512)};
        Map<String, double[]> seconds = new LinkedHashMap<>();
        for (String k : List.of("nbdcopy, cold agent", "nbdcopy, nbdkit file", "qemu-img -m 16 -W, cold agent",
                "qemu-img -m 16 -W, nbdkit file")) {
            seconds.put(k, new double[rounds]);
        }
        int nbdkitPort;
        try (ServerSocket s = new ServerSocket(0)) {
            nbdkitPort = s.getLocalPort();
        }
        Process nbdkit = new ProcessBuilder("nbdkit", "--foreground", "--readonly", "--exit-with-parent",
                "-i", "127.0.0.1", "-p", String.valueOf(nbdkitPort), "file", image.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve("nbdkit.log").toFile()).start();
        String nbdkitUri = "nbd://127.0.0.1:" + nbdkitPort;
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")))) {
            FleetClient client = fleet.client();
            UUID imageId = UUID.fromString(client.uploadImage("cold", image).path("id").asString());
            Tools.ok(t, "nbdinfo", "--size", nbdkitUri);
            int host = 0;
            for (int r = 0; r < rounds; r++) {
                seconds.get("nbdcopy, cold agent")[r] = coldRead(fleet, imageId, "cold-" + host++, nbdcopy, t);
                seconds.get("nbdcopy, nbdkit file")[r] = time(t, nbdcopy.apply(nbdkitUri));
                seconds.get("qemu-img -m 16 -W, cold agent")[r] = coldRead(fleet, imageId, "cold-" + host++, qemuImg,
                        t);
                seconds.get("qemu-img -m 16 -W, nbdkit file")[r] = time(t, qemuImg.apply(nbdkitUri));
            }
        } finally {
            nbdkit.destroy();
        }
        System.out.printf("%nimage %d MiB, %d rounds, %d cores, java %s%n", size >> 20, rounds,
                Runtime.getRuntime().availableProcessors(), Runtime.version());
        for (String client : List.of("nbdcopy", "qemu-img -m 16 -W")) {
            double agent = median(seconds.get(client + ", cold agent"));
            double file = median(seconds.get(client + ", nbdkit file"));
            System.out.printf("  %-18s cold agent median %6.2f s %s, nbdkit file median %6.2f s %s: %.2fx nbdkit's"
                            + " time%n", client, agent, Arrays.toString(seconds.get(client + ", cold agent")), file,
                    Arrays.toString(seconds.get(client + ", nbdkit file")), agent / file);
        }
    }

    /** Launches the image on a new agent, reads it once through the export, closes the agent. */
    private static double coldRead(LocalFleet fleet, UUID imageId, String host, Function<String, String[]> reader,
                                   Duration t) throws IOException, InterruptedException {
        LocalFleet.Agent agent = fleet.startAgent(host, Map.of());
        try {
            fleet.client().awaitHostUp(host, t);
            UUID launchId = UUID.fromString(fleet.client().launch(imageId, List.of(host), null).path("id")
                    .asString());
            String uri = fleet.client().awaitLaunchReady(launchId, t).path("hosts").get(0).path("nbdUri").asString();
            return time(t, reader.apply(uri));
        } finally {
            agent.close();
        }
    }

    private static double time(Duration t, String... command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        Tools.ok(t, command);
        return (System.nanoTime() - t0) / 1e9;
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        return c[c.length / 2];
    }
}
