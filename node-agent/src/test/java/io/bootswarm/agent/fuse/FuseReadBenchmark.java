package io.bootswarm.agent.fuse;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.fuse.FuseTestSupport.ImageSource;
import io.bootswarm.common.manifest.Manifest;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Sequential read throughput of a fully present disk through the FUSE mount against the same
 * image read from a local file, alternately, side by side (same page cache, same load): {@code cat}
 * and {@code dd bs=1M} of each, and {@code dd} through a second mount that uses the kernel page
 * cache ({@code direct-io=false}, for comparison: it serves re-reads from memory). Both the local image and the piece store are in the page cache after
 * the warm-up round, so the difference is what FUSE and the agent add. Not a test: the build never
 * runs it.
 *
 * <pre>
 * ./mvnw -q -pl node-agent test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java --enable-native-access=ALL-UNNAMED \
 *     -cp node-agent/target/classes:node-agent/target/test-classes:$(cat node-agent/target/cp.txt) \
 *     io.bootswarm.agent.fuse.FuseReadBenchmark [image.raw | size-in-MiB (default 1024)] [rounds (default 5)]
 * </pre>
 */
final class FuseReadBenchmark {

    static final int PIECE = 256 * 1024;

    public static void main(String[] args) throws Exception {
        FuseMount.unavailableReason(FuseProperties.at(Path.of("/tmp"))).ifPresent(r -> {
            throw new IllegalStateException(r);
        });
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("fuse-bench");
        Path image;
        if (args.length > 0 && !args[0].matches("\\d+")) {
            image = Path.of(args[0]);
        } else {
            long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
            image = dir.resolve("image.raw");
            writeRandom(image, mib << 20);
        }
        long size = Files.size(image);
        Manifest manifest = FuseTestSupport.manifest(image, PIECE);
        UUID id = UUID.randomUUID();
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        try (PieceStore store = PieceStore.open(dir.resolve("pieces"), PIECE, Duration.ofHours(1))) {
            ImageSource source = new ImageSource(image, manifest, store);
            source.fetchAll();
            store.sync();
            try (VirtualDisk disk = FuseTestSupport.disk(source, dir.resolve("disk"));
                 FuseMount mount = new FuseMount(FuseProperties.at(dir.resolve("mnt")), DiskCatalog.of(Map.of(id, disk)),
                         meters).start();
                 FuseMount cached = new FuseMount(FuseProperties.at(dir.resolve("mnt-cached")).withDirectIo(false),
                         DiskCatalog.of(Map.of(id, disk)), null).start()) {
                Path file = mount.pathOf(id).orElseThrow();
                Path cachedFile = cached.pathOf(id).orElseThrow();
                Map<String, List<String>> variants = new LinkedHashMap<>();
                variants.put("cat, local file", List.of("sh", "-c", "cat '" + image + "' > /dev/null"));
                variants.put("dd bs=1M, local file", List.of("dd", "if=" + image, "of=/dev/null", "bs=1M", "status=none"));
                variants.put("cat, FUSE", List.of("sh", "-c", "cat '" + file + "' > /dev/null"));
                variants.put("dd bs=1M, FUSE", List.of("dd", "if=" + file, "of=/dev/null", "bs=1M", "status=none"));
                variants.put("dd bs=1M, FUSE cached", List.of("dd", "if=" + cachedFile, "of=/dev/null", "bs=1M",
                        "status=none"));
                System.out.printf("image %s, %d MiB, %d-byte pieces; %d rounds; %d cores; java %s; FUSE direct_io=%s%n",
                        image, size >> 20, PIECE, rounds, Runtime.getRuntime().availableProcessors(), Runtime.version(),
                        mount.directIo());
                for (List<String> cmd : variants.values()) {
                    run(cmd); // warm-up: page cache, JIT, FUSE threads
                }
                Map<String, double[]> seconds = new LinkedHashMap<>();
                variants.keySet().forEach(k -> seconds.put(k, new double[rounds]));
                for (int r = 0; r < rounds; r++) {
                    StringBuilder line = new StringBuilder("round " + (r + 1) + " (MiB/s):");
                    for (var e : variants.entrySet()) {
                        double s = run(e.getValue());
                        seconds.get(e.getKey())[r] = s;
                        line.append(String.format(" %7.0f", size / s / (1 << 20)));
                    }
                    System.out.println(line);
                }
                double base = median(seconds.get("cat, local file"));
                System.out.println("median MiB/s and time relative to cat of the local file:");
                for (var e : seconds.entrySet()) {
                    double m = median(e.getValue());
                    System.out.printf("  %-22s %7.0f MiB/s  %5.2fx%n", e.getKey(), size / m / (1 << 20), m / base);
                }
                FunctionTimer reads = meters.get("bootswarm.fuse.read.time").functionTimer();
                double bytes = meters.get("bootswarm.fuse.read.bytes").functionCounter().count();
                System.out.printf("direct_io mount: %.0f reads of %.0f KiB on average, %.1f us each in the agent "
                                + "(BlockDevice.read), %.0f MiB/s while in it%n", reads.count(), bytes / reads.count() / 1024,
                        reads.mean(TimeUnit.MICROSECONDS), bytes / reads.totalTime(TimeUnit.SECONDS) / (1 << 20));
            }
        } finally {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    static void writeRandom(Path file, long size) throws IOException {
        Random r = new Random(42);
        byte[] chunk = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (long done = 0; done < size; done += chunk.length) {
                r.nextBytes(chunk);
                out.write(chunk, 0, (int) Math.min(chunk.length, size - done));
            }
        }
    }

    static double run(List<String> command) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        FuseTestSupport.Result r = FuseTestSupport.run(600, command.toArray(String[]::new));
        double s = (System.nanoTime() - t0) / 1e9;
        if (!r.ok()) {
            throw new IOException(String.join(" ", command) + " failed: " + r.output());
        }
        return s;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
