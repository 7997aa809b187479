package io.bootswarm.fleet;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * How long a restarted agent takes from process start to serving its existing export: an image is
 * launched on an agent in a process of its own, which is then SIGKILLed and started again on the
 * same data directory, {@code runs} times with the fleet up and {@code runs} times with the tracker,
 * profile-service and Kafka unreachable. Measured from {@link ProcessBuilder#start()} to the first
 * {@link NbdProbe} read of the export that returns the image's first 4 KiB (probing every 5 ms), and
 * to the log line {@code Started NodeAgentApplication}. Several variants (comma-separated: a jar, or
 * {@code cp}, each optionally followed by JVM options of its own, space-separated) are measured in
 * alternation within one run, so that they share the machine's load. A variant given an
 * ahead-of-time cache ({@code -XX:AOTCache=<file>}) is first trained as the image build trains it
 * ({@code io.bootswarm.agent.aot.AotTraining} under {@code -XX:AOTCacheOutput=<file>}, on the
 * variant's class path and other options), so that even its first start maps the cache, as every
 * start of the image does. Each variant is then started once and stopped by SIGTERM, unmeasured
 * (which also writes a {@code -XX:+AutoCreateSharedArchive} archive, for comparison), and all
 * measured starts end by SIGKILL. Not a test: the build never runs it.
 *
 * <pre>
 * ./mvnw -q -pl fleet -am verify -DskipTests
 * ./mvnw -q -o -pl fleet -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.AgentStartBenchmark [runs] [before.jar,after.jar,... | cp] [jvm options...]
 * </pre>
 *
 * The agent's image flags (node-agent's Jib {@code jvmFlags}) with its trained cache against none, on
 * the extracted jar (a cache takes classes only from plain jars, not from the executable jar's nested
 * ones, nor from directories, so not with {@code cp}):
 *
 * <pre>
 * java -Djarmode=tools -jar node-agent/target/node-agent-*-exec.jar extract --destination /tmp/agent
 * ... AgentStartBenchmark 5 "/tmp/agent/node-agent-0.1.0-SNAPSHOT-exec.jar,/tmp/agent/node-agent-0.1.0-SNAPSHOT-exec.jar \
 *     -XX:AOTCache=/tmp/agent/agent.aot -Xlog:aot=off" --enable-native-access=ALL-UNNAMED
 * </pre>
 *
 * With {@code cp} the agent runs on the benchmark's class path (as the fleet tests run it), else
 * from the executable jar, as deployed.
 */
final class AgentStartBenchmark {

    public static void main(String[] args) throws Exception {
        int runs = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<String> common = args.length > 2 ? List.of(Arrays.copyOfRange(args, 2, args.length)) : List.of();
        List<Variant> variants = new ArrayList<>();
        for (String a : (args.length > 1 ? args[1] : "cp").split(",")) {
            variants.add(Variant.parse(a.strip(), common));
        }
        Duration t = Duration.ofMinutes(3);
        Path work = Files.createTempDirectory("bootswarm-agent-start");
        Path image = Tools.image(work.resolve("start.img"), 64L << 20, 7);
        byte[] head = new byte[4096];
        try (RandomAccessFile f = new RandomAccessFile(image.toFile(), "r")) {
            f.readFully(head);
        }
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")))) {
            FleetClient client = fleet.client();
            UUID imageId = UUID.fromString(client.uploadImage("start", image).path("id").asString());
            Path data = work.resolve("agent-data");
            int apiPort = freePort();
            int nbdPort = freePort();
            Map<String, Object> props = fleet.agentProperties("start-host", data);
            props.put("server.port", apiPort);
            props.put("bootswarm.agent.nbd.port", nbdPort);

            AgentProcess first = AgentProcess.start(props, variants.getFirst().jar(), variants.getFirst().jvm(),
                    work.resolve("agent-first.log"));
            String export;
            try {
                client.awaitHostUp("start-host", t);
                UUID launchId = UUID.fromString(client.launch(imageId, List.of("start-host"), null).path("id")
                        .asString());
                String nbd = client.awaitLaunchReady(launchId, t).path("hosts").get(0).path("nbdUri").asString();
                export = nbd.substring(nbd.lastIndexOf('/') + 1);
                Tools.ok(t, "qemu-img", "convert", "-f", "raw", "-O", "raw", nbd, work.resolve("copy.img").toString());
            } finally {
                first.kill();
            }

            for (int j = 0; j < variants.size(); j++) {
                Variant v = variants.get(j);
                Optional<Path> cache = v.aotCache();
                if (cache.isPresent()) {
                    Files.deleteIfExists(cache.get());
                    long t0 = System.nanoTime();
                    AgentProcess.trainAotCache(v.jar(), v.jvm(), cache.get(), work.resolve("agent-training-" + j + ".log"));
                    System.out.printf("%s: AOT cache trained in %d ms, %d MB%n", v, (System.nanoTime() - t0) / 1_000_000,
                            Files.size(cache.get()) >> 20);
                }
            }
            int closed = freePort();
            Map<String, Object> away = new java.util.LinkedHashMap<>(props);
            away.put("bootswarm.agent.tracker-url", "http://127.0.0.1:" + closed);
            away.put("bootswarm.agent.profile-url", "http://127.0.0.1:" + closed);
            away.put("spring.kafka.bootstrap-servers", "127.0.0.1:" + closed);
            for (int j = 0; j < variants.size(); j++) {
                Variant v = variants.get(j);
                long[] ms = restart(props, v.jar(), v.jvm(), work.resolve("agent-prime-" + j + ".log"), nbdPort,
                        export, head, t, true);
                System.out.printf("%s, unmeasured first start: serving after %d ms; SIGTERM -> exited in %d ms%n", v,
                        ms[0], ms[2]);
            }
            for (var mode : List.of(Map.entry("fleet up", props), Map.entry("tracker, profile, Kafka away", away))) {
                List<List<Long>> serving = new ArrayList<>();
                List<List<Long>> started = new ArrayList<>();
                for (int j = 0; j < variants.size(); j++) {
                    serving.add(new ArrayList<>());
                    started.add(new ArrayList<>());
                }
                for (int i = 0; i < runs; i++) {
                    for (int j = 0; j < variants.size(); j++) {
                        Path log = work.resolve("agent-" + mode.getKey().charAt(0) + i + "-" + j + ".log");
                        Variant v = variants.get(j);
                        long[] ms = restart(mode.getValue(), v.jar(), v.jvm(), log, nbdPort, export, head, t, false);
                        serving.get(j).add(ms[0]);
                        started.get(j).add(ms[1]);
                    }
                }
                for (int j = 0; j < variants.size(); j++) {
                    System.out.printf("%s (%s): process start -> serving export: median %d ms %s; -> application "
                                    + "started: median %d ms %s%n", mode.getKey(), variants.get(j),
                            median(serving.get(j)), serving.get(j), median(started.get(j)), started.get(j));
                }
            }
        }
    }

    /**
     * Starts the agent, and returns the milliseconds to serving the export, to the application started and,
     * with {@code term}, from SIGTERM to its exit (else it is SIGKILLed).
     */
    private static long[] restart(Map<String, Object> props, Path jar, List<String> jvm, Path log, int nbdPort,
                                  String export, byte[] head, Duration t, boolean term) throws Exception {
        long t0 = System.nanoTime();
        AgentProcess agent = AgentProcess.start(props, jar, jvm, log);
        try {
            long deadline = t0 + t.toNanos();
            while (!NbdProbe.read(nbdPort, export, 0, head.length).map(b -> Arrays.equals(b, head)).orElse(false)) {
                if (System.nanoTime() > deadline || !agent.isAlive()) {
                    throw new IllegalStateException("agent not serving; see " + log);
                }
                Thread.sleep(5);
            }
            long serving = (System.nanoTime() - t0) / 1_000_000;
            while (!Files.readString(log).contains("Started NodeAgentApplication")) {
                if (System.nanoTime() > deadline || !agent.isAlive()) {
                    throw new IllegalStateException("agent not started; see " + log);
                }
                Thread.sleep(5);
            }
            long started = (System.nanoTime() - t0) / 1_000_000;
            long stopped = 0;
            if (term) {
                long t1 = System.nanoTime();
                agent.stop();
                stopped = (System.nanoTime() - t1) / 1_000_000;
            }
            return new long[] {serving, started, stopped};
        } finally {
            agent.kill();
        }
    }

    /**
     * What is measured: a jar ({@code null}: the class path) with its JVM options.
     *
     * @param jar the agent's executable jar, or null
     * @param jvm JVM options: the run's common ones, then the variant's own
     */
    private record Variant(Path jar, List<String> jvm) {

        /** {@code <jar|cp> [jvm option...]}, space-separated. */
        static Variant parse(String spec, List<String> common) {
            String[] words = spec.split("\\s+");
            List<String> jvm = new ArrayList<>(common);
            jvm.addAll(Arrays.asList(words).subList(1, words.length));
            return new Variant(words[0].equals("cp") ? null : Path.of(words[0]).toAbsolutePath(), List.copyOf(jvm));
        }

        /** The ahead-of-time cache this variant's JVM is given, if any. */
        Optional<Path> aotCache() {
            return jvm.stream().filter(o -> o.startsWith("-XX:AOTCache="))
                    .map(o -> Path.of(o.substring("-XX:AOTCache=".length())).toAbsolutePath()).reduce((a, b) -> b);
        }

        @Override
        public String toString() {
            return (jar == null ? "class path" : jar.getFileName()) + (jvm.isEmpty() ? "" : " " + String.join(" ", jvm));
        }
    }

    private static long median(List<Long> xs) {
        List<Long> s = xs.stream().sorted().toList();
        return s.get(s.size() / 2);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
