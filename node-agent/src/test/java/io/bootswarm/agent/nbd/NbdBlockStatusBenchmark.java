package io.bootswarm.agent.nbd;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VerifiedPiece;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;

/**
 * What block status and structured replies buy: {@code nbdcopy URI null:} and
 * {@code qemu-img convert -O raw URI /dev/shm/...} from the agent's {@link VirtualDisk} export of a
 * fully cached image against nbdkit's file plugin serving the same (sparse) file, run alternately,
 * same machine, same page cache. Prints the median of each and the ratios agent / nbdkit of each
 * round (median, min, max), and the serving process's CPU time per run (steadier than wall time on a
 * busy machine). With {@code rounds} 0 it only serves both (URIs on stdout) until stdin
 * ends, for probing with {@code nbdinfo}, {@code strace} or {@code perf}. Not a test: the build
 * never runs it.
 *
 * <pre>
 * ./mvnw -q -pl node-agent test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp node-agent/target/classes:node-agent/target/test-classes:$(cat node-agent/target/cp.txt) \
 *     io.bootswarm.agent.nbd.NbdBlockStatusBenchmark /path/to/image.raw [rounds] [sizeMiB] [warmups]
 * </pre>
 *
 * Before the measured rounds, {@code warmups} (default 3) unmeasured ones let the JIT compile the
 * agent's request path, as it is in a long-running agent. A missing image is generated: {@code sizeMiB} (default 1024) of 256 KiB pieces, one in five
 * random and the rest zero (80 % zero pieces), written sparse.
 */
final class NbdBlockStatusBenchmark {

    static final int PIECE = 256 * 1024;

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: NbdBlockStatusBenchmark IMAGE.raw [rounds] [sizeMiB] [warmups]");
            System.exit(2);
        }
        Path image = Path.of(args[0]);
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        long sizeMiB = args.length > 2 ? Long.parseLong(args[2]) : 1024;
        int warmups = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        ExternalTools.require("nbdcopy", "qemu-img", "nbdkit");
        if (!Files.exists(image)) {
            generate(image, sizeMiB << 20);
        }
        Manifest manifest;
        try (InputStream in = Files.newInputStream(image)) {
            manifest = new PieceSplitter(PIECE, Long.MAX_VALUE).split(in, null, null)
                    .manifest(UUID.randomUUID(), "benchmark");
        }
        System.out.printf("image %s: %d MiB, %d of %d pieces zero (%.0f %%)%n", image, Files.size(image) >> 20,
                manifest.zeroCount(), manifest.pieceCount(), 100.0 * manifest.zeroCount() / manifest.pieceCount());
        Path dir = Files.createTempDirectory("nbd-bs-bench");
        Path shm = Path.of("/dev/shm").toFile().isDirectory() ? Path.of("/dev/shm") : dir;
        Path out = shm.resolve("nbd-bs-bench-" + ProcessHandle.current().pid() + ".img");
        int nbdkitPort;
        try (ServerSocket s = new ServerSocket(0)) {
            nbdkitPort = s.getLocalPort();
        }
        Process nbdkit = new ProcessBuilder("nbdkit", "-f", "-r", "-i", "127.0.0.1", "-p", Integer.toString(nbdkitPort),
                "file", "file=" + image).redirectErrorStream(true).redirectOutput(dir.resolve("nbdkit.log").toFile())
                .start();
        try (PieceStore store = PieceStore.open(dir.resolve("store"), PIECE, Duration.ofHours(1));
             FileChannel file = FileChannel.open(image)) {
            for (int p = 0; p < manifest.pieceCount(); p++) {
                if (!manifest.isZero(p)) {
                    ByteBuffer b = ByteBuffer.allocate(manifest.pieceLength(p));
                    file.read(b, manifest.pieceOffset(p));
                    store.put(VerifiedPiece.verify(manifest.hash(p), b.array(), b.capacity()).orElseThrow());
                }
            }
            try (VirtualDisk disk = VirtualDisk.open(manifest, store, p -> {
                        throw new IOException("piece " + p + " missing");
                    }, dir.resolve("overlay"), VirtualDisk.AccessListener.NONE);
                 NbdServer server = new NbdServer(NbdServerSettings.tcp("127.0.0.1", 0),
                         ExportLookup.of(Map.of("disk", disk))).start()) {
                String agent = "nbd://127.0.0.1:" + server.tcpPort() + "/disk";
                String kit = "nbd://127.0.0.1:" + nbdkitPort;
                awaitNbdkit(kit);
                if (rounds == 0) {
                    System.out.printf("serving: agent %s, nbdkit %s; end with EOF on stdin%n", agent, kit);
                    System.in.transferTo(OutputStream.nullOutputStream());
                    return;
                }
                Map<String, List<String>> variants = new LinkedHashMap<>();
                variants.put("nbdcopy agent", List.of("nbdcopy", agent, "null:"));
                variants.put("nbdcopy nbdkit", List.of("nbdcopy", kit, "null:"));
                variants.put("qemu-img agent", List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", agent,
                        out.toString()));
                variants.put("qemu-img nbdkit", List.of("qemu-img", "convert", "-f", "raw", "-O", "raw", kit,
                        out.toString()));
                Map<String, List<Double>> times = new LinkedHashMap<>();
                Map<String, List<Double>> cpu = new LinkedHashMap<>();
                ProcessHandle self = ProcessHandle.current();
                ProcessHandle kitProcess = nbdkit.toHandle();
                for (int r = -warmups; r < rounds; r++) { // rounds below 0 warm up (the agent's JIT)
                    List<Map.Entry<String, List<String>>> order = new ArrayList<>(variants.entrySet());
                    if ((r & 1) != 0) { // every other round nbdkit goes first
                        for (int i = 0; i + 1 < order.size(); i += 2) {
                            order.set(i, order.set(i + 1, order.get(i)));
                        }
                    }
                    for (Map.Entry<String, List<String>> v : order) {
                        ProcessHandle serving = v.getKey().endsWith("agent") ? self : kitProcess;
                        Duration cpuBefore = cpuTime(serving);
                        long start = System.nanoTime();
                        ExternalTools.Result result = ExternalTools.run(v.getValue(), 600);
                        double seconds = (System.nanoTime() - start) / 1e9;
                        double cpuSeconds = cpuTime(serving).minus(cpuBefore).toNanos() / 1e9;
                        Files.deleteIfExists(out);
                        if (result.exitCode() != 0) {
                            throw new IllegalStateException(v.getKey() + " failed: " + result.output());
                        }
                        if (r >= 0) {
                            times.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(seconds);
                            cpu.computeIfAbsent(v.getKey(), k -> new ArrayList<>()).add(cpuSeconds);
                        }
                    }
                }
                times.forEach((k, v) -> {
                    double[] a = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    double[] c = cpu.get(k).stream().mapToDouble(Double::doubleValue).sorted().toArray();
                    System.out.printf("%-16s median %.3f s, server CPU median %.3f s  (%s)%n", k, a[a.length / 2],
                            c[c.length / 2], Arrays.toString(a));
                });
                printRatios("nbdcopy", times.get("nbdcopy agent"), times.get("nbdcopy nbdkit"));
                printRatios("qemu-img convert", times.get("qemu-img agent"), times.get("qemu-img nbdkit"));
            }
        } finally {
            nbdkit.destroy();
            nbdkit.waitFor();
            Files.deleteIfExists(out);
            deleteTree(dir);
        }
    }

    /** CPU time (user + system) of a process so far; the JVM's includes its compiler and collector threads. */
    private static Duration cpuTime(ProcessHandle process) {
        return process.info().totalCpuDuration().orElse(Duration.ZERO);
    }

    /**
     * Agent time / nbdkit time of each round (the two ran back to back): median, min and max; and
     * of the fastest run of each (the least disturbed by other load on the machine).
     */
    private static void printRatios(String tool, List<Double> agent, List<Double> nbdkit) {
        double[] r = new double[agent.size()];
        for (int i = 0; i < r.length; i++) {
            r[i] = agent.get(i) / nbdkit.get(i);
        }
        Arrays.sort(r);
        double fastest = agent.stream().mapToDouble(Double::doubleValue).min().orElseThrow()
                / nbdkit.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
        System.out.printf("ratio agent/nbdkit %-16s median %.2f  min %.2f  max %.2f  of fastest runs %.2f  (%d rounds)%n",
                tool, r[r.length / 2], r[0], r[r.length - 1], fastest, r.length);
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void awaitNbdkit(String uri) throws Exception {
        for (int i = 0; i < 100; i++) {
            if (ExternalTools.run(List.of("nbdinfo", "--size", uri), 10).exitCode() == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("nbdkit did not start");
    }

    /** {@code size} bytes of 256 KiB pieces, every fifth random, the others left as holes. */
    static void generate(Path image, long size) throws IOException {
        Random rnd = new Random(1);
        byte[] piece = new byte[PIECE];
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long p = 0; p * PIECE < size; p++) {
                if (p % 5 == 0) {
                    rnd.nextBytes(piece);
                    ch.write(ByteBuffer.wrap(piece), p * PIECE);
                }
            }
            ch.truncate(size);
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
        }
    }
}
