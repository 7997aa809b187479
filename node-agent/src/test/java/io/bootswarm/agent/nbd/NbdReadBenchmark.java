package io.bootswarm.agent.nbd;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Read throughput of a raw image through {@link NbdServer} (backed by {@link FileBlockDevice})
 * against {@code qemu-img convert} of the same file from local disk, run alternately, side by side,
 * so that all see the same page cache and machine load. The image is exported twice: once read
 * through {@link BlockDevice#read} into buffers (what any device gets), once through
 * {@link FileRegions} (sendfile). Not a test: the build never runs it.
 *
 * <p>With {@code --tls} the nbdcopy runs are compared with nbdcopy over TLS ({@code nbds://}, a
 * second server requiring TLS with {@link TestPki} certificates; a TLS session always reads
 * through {@link BlockDevice#read}), and the qemu-img NBD runs are left out.
 *
 * <pre>
 * ./mvnw -q -pl node-agent test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp node-agent/target/classes:node-agent/target/test-classes:$(cat node-agent/target/cp.txt) \
 *     io.bootswarm.agent.nbd.NbdReadBenchmark /path/to/image.raw [rounds] [--tls]
 * </pre>
 *
 * {@code qemu-img convert -O raw FILE /dev/null} is refused by qemu-img 7.2 ("Cannot grow device
 * files"; with {@code -n}: "output file is smaller than input file"), so every qemu-img run writes
 * to qemu's {@code null-co} driver instead, which discards what it is given, like /dev/null.
 * nbdcopy writes to its {@code null:} destination.
 */
final class NbdReadBenchmark {

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: NbdReadBenchmark IMAGE.raw [rounds] [--tls]");
            System.exit(2);
        }
        Path image = Path.of(args[0]);
        int rounds = args.length > 1 && !args[1].startsWith("--") ? Integer.parseInt(args[1]) : 5;
        boolean tls = Arrays.asList(args).contains("--tls");
        long size = Files.size(image);
        for (String tool : List.of("qemu-img", "nbdcopy")) {
            if (ExternalTools.find(tool) == null) {
                throw new IllegalStateException(tool + " not found: apt-get install -y qemu-utils libnbd-bin");
            }
        }
        Path dir = Files.createTempDirectory("nbd-bench");
        Path socket = dir.resolve("nbd.sock");
        try (FileBlockDevice zeroCopy = FileBlockDevice.openReadOnly(image);
             FileBlockDevice copying = FileBlockDevice.openReadOnly(image).zeroCopy(false);
             NbdServer server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0).withUnixSocket(socket),
                     ExportLookup.of(Map.of("zerocopy", zeroCopy, "read", copying))).start();
             NbdServer tlsServer = tls ? new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0)
                     .withTls(NbdTls.of(TestPki.create(dir.resolve("pki")).serverBundle(false))),
                     ExportLookup.of(Map.of("read", copying))).start() : null) {
            String nullTarget = "driver=null-co,size=" + size;
            Map<String, List<String>> variants = new LinkedHashMap<>();
            variants.put("qemu-img convert, local file", List.of("qemu-img", "convert", "-n", "-f", "raw", image.toString(),
                    "--target-image-opts", nullTarget));
            for (String export : List.of("read", "zerocopy")) {
                String how = export.equals("read") ? "BlockDevice.read" : "FileRegions (sendfile)";
                String tcp = "nbd://127.0.0.1:" + server.tcpPort() + "/" + export;
                String unix = "nbd+unix:///" + export + "?socket=" + socket;
                if (!tls) {
                    variants.put("qemu-img, NBD/TCP,  " + how, List.of("qemu-img", "convert", "-n", "-f", "raw", tcp,
                            "--target-image-opts", nullTarget));
                    variants.put("qemu-img, NBD/unix, " + how, List.of("qemu-img", "convert", "-n", "-f", "raw", unix,
                            "--target-image-opts", nullTarget));
                }
                variants.put("nbdcopy,  NBD/TCP,  " + how, List.of("nbdcopy", tcp, "null:"));
            }
            if (tls) {
                variants.put("nbdcopy,  NBD/TLS,  BlockDevice.read", List.of("nbdcopy", "nbds://127.0.0.1:"
                        + tlsServer.tcpPort() + "/read?tls-certificates=" + dir.resolve("pki/client"), "null:"));
            }

            System.out.printf("image %s, %d MiB; %d rounds; %d cores; java %s%n", image, size >> 20, rounds,
                    Runtime.getRuntime().availableProcessors(), Runtime.version());
            // warm-up: page cache, JIT, buffer pool
            for (List<String> cmd : variants.values()) {
                run(cmd);
            }
            Map<String, double[]> seconds = new LinkedHashMap<>();
            variants.keySet().forEach(k -> seconds.put(k, new double[rounds]));
            for (int r = 0; r < rounds; r++) {
                StringBuilder line = new StringBuilder("round " + (r + 1) + " (MiB/s):");
                for (var e : variants.entrySet()) {
                    double s = run(e.getValue());
                    seconds.get(e.getKey())[r] = s;
                    line.append(String.format(" %6.0f", size / s / (1 << 20)));
                }
                System.out.println(line);
            }
            double local = median(seconds.values().iterator().next());
            if (tls) {
                double plain = median(seconds.get("nbdcopy,  NBD/TCP,  BlockDevice.read"));
                double encrypted = median(seconds.get("nbdcopy,  NBD/TLS,  BlockDevice.read"));
                System.out.printf("%nnbdcopy throughput over TLS / plain TCP (both BlockDevice.read): %.2f%n",
                        plain / encrypted);
            }
            System.out.println();
            System.out.printf("%-50s %10s %10s %8s%n", "median of " + rounds, "seconds", "MiB/s", "vs local");
            for (var e : seconds.entrySet()) {
                double m = median(e.getValue());
                System.out.printf("%-50s %10.3f %10.0f %8.2f%n", e.getKey(), m, size / m / (1 << 20), local / m);
            }
            NbdStats stats = server.stats();
            System.out.printf("%nserver: %d connections, %d reads (%d zero-copy, %d chunks sent through a buffer "
                            + "for want of socket room), %d MiB read, %d errors%n",
                    stats.connectionsAccepted(), stats.readRequests(), stats.zeroCopyReads(),
                    server.metrics().transferFallbacks.sum(), stats.bytesRead() >> 20, stats.errorReplies());
        } finally {
            Files.deleteIfExists(socket);
            try (var files = Files.walk(dir)) {
                for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    private static double run(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        ExternalTools.Result r = ExternalTools.run(command, TimeUnit.MINUTES.toSeconds(10));
        double s = (System.nanoTime() - t0) / 1e9;
        if (r.exitCode() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + r.output());
        }
        return s;
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    private NbdReadBenchmark() {
    }
}
