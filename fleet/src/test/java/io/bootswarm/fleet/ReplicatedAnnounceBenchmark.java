package io.bootswarm.fleet;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Announce throughput of one tracker replica, of two replicas sharing one swarm view (bootswarm.swarm-peers.v1)
 * and of opentracker, in one run on this machine with {@code wrk}: the agents' JSON announce
 * ({@code POST /api/v1/announce}, a bearer token verified on each request) re-announcing peer ids drawn from
 * {@code peers} (10,000 hosts by default) in the swarm of a real image, and opentracker's {@code GET /announce}
 * with the same peer ids. First opentracker and the lone replica in alternating rounds; then the second replica
 * starts (it reads the first one's recent announces) and the rounds alternate between opentracker, all the load
 * on the first replica (the second applying its announces), and both replicas, each driven by its own
 * {@code wrk} with half the connections (as a Kubernetes Service would spread them; the figure is their sum).
 * Three warm-up rounds for the JIT precede each phase. Both replicas run in this JVM on the same two cores as Kafka, PostgreSQL and
 * the load generator: the two-replica figure shows the cost of sharing the view, not a gain from scaling out.
 * Not a test: the build never runs it.
 *
 * <pre>
 * apt-get install opentracker wrk
 * ./mvnw -q -pl fleet -am test-compile
 * ./mvnw -q -pl fleet dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * BOOTSWARM_INFRA=embedded $JAVA_HOME/bin/java -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.ReplicatedAnnounceBenchmark [seconds-per-round] [rounds] [connections] [peers]
 * </pre>
 */
final class ReplicatedAnnounceBenchmark {

    private static final Pattern RPS = Pattern.compile("Requests/sec:\\s+([0-9.]+)");
    private static final Pattern NON_2XX = Pattern.compile("Non-2xx or 3xx responses:\\s+(\\d+)");

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int peers = args.length > 3 ? Integer.parseInt(args[3]) : 10_000;
        Path work = Files.createTempDirectory("bootswarm-replica-bench");
        int otPort;
        try (ServerSocket s = new ServerSocket(0)) {
            otPort = s.getLocalPort();
        }
        Process opentracker = null;
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet")))) {
            String token = fleet.auth().hostToken("bench-host");
            String swarm = fleet.client().uploadImage("replica-bench", Tools.image(work.resolve("bench.img"), 1 << 20, 5))
                    .get("swarmId").asString();
            Path whitelist = Files.writeString(work.resolve("ot-whitelist.txt"), swarm + "\n");
            opentracker = new ProcessBuilder("opentracker", "-i", "127.0.0.1", "-p", String.valueOf(otPort),
                    "-P", String.valueOf(otPort), "-w", whitelist.toString()).directory(work.toFile())
                    .redirectErrorStream(true).redirectOutput(work.resolve("ot.log").toFile()).start();
            String ot = "http://127.0.0.1:" + otPort;
            Path otScript = Files.writeString(work.resolve("ot.lua"), AnnounceBenchmark.stockScript("/announce", swarm, peers));
            Path json = Files.writeString(work.resolve("json.lua"), AnnounceBenchmark.jsonScript(token, swarm, peers));
            String a = fleet.trackerUrl();

            Map<String, List<Double>> rps = new LinkedHashMap<>();
            for (int w = 0; w < 3; w++) {
                wrk(a, json, seconds, connections);
            }
            for (int r = 0; r < rounds; r++) {
                rps.computeIfAbsent("opentracker (with 1 replica phase)", k -> new ArrayList<>())
                        .add(wrk(ot, otScript, seconds, connections));
                rps.computeIfAbsent("tracker, 1 replica", k -> new ArrayList<>()).add(wrk(a, json, seconds, connections));
            }
            ConfigurableApplicationContext replicaB = fleet.startTrackerReplica("tracker-service-2");
            String b = "http://127.0.0.1:" + ((WebServerApplicationContext) replicaB).getWebServer().getPort();
            for (int w = 0; w < 3; w++) {
                both(a, b, json, seconds, connections);
            }
            for (int r = 0; r < rounds; r++) {
                rps.computeIfAbsent("opentracker (with 2 replicas phase)", k -> new ArrayList<>())
                        .add(wrk(ot, otScript, seconds, connections));
                rps.computeIfAbsent("tracker, 2 replicas, all load on one", k -> new ArrayList<>())
                        .add(wrk(a, json, seconds, connections));
                rps.computeIfAbsent("tracker, 2 replicas (sum)", k -> new ArrayList<>())
                        .add(both(a, b, json, seconds, connections));
            }
            System.out.printf("%nannounce throughput, %d rounds of %d s, %d connections, peer ids from %d, medians:%n",
                    rounds, seconds, connections, peers);
            rps.forEach((name, values) -> System.out.printf("  %-38s %10.0f req/s  (rounds %s)%n", name,
                    median(values), values));
        } finally {
            if (opentracker != null) {
                opentracker.destroy();
            }
        }
    }

    /** Two wrk at once, one per replica, half the connections each; their summed rate. */
    private static double both(String a, String b, Path script, int seconds, int connections) throws Exception {
        CompletableFuture<Double> onA = CompletableFuture.supplyAsync(() -> uncheckedWrk(a, script, seconds, connections / 2));
        CompletableFuture<Double> onB = CompletableFuture.supplyAsync(() -> uncheckedWrk(b, script, seconds, connections / 2));
        return onA.get() + onB.get();
    }

    private static double uncheckedWrk(String base, Path script, int seconds, int connections) {
        try {
            return wrk(base, script, seconds, connections);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static double wrk(String base, Path script, int seconds, int connections) throws Exception {
        Tools.Result r = Tools.run(Duration.ofSeconds(seconds + 60), "wrk", "-t1", "-c" + connections,
                "-d" + seconds + "s", "-s", script.toString(), base);
        Matcher m = RPS.matcher(r.output());
        if (r.exit() != 0 || !m.find()) {
            throw new IllegalStateException("wrk failed: " + r.output());
        }
        Matcher bad = NON_2XX.matcher(r.output());
        if (bad.find()) {
            throw new IllegalStateException(base + ": " + bad.group(1) + " requests failed: " + r.output());
        }
        return Double.parseDouble(m.group(1));
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        return sorted.get(sorted.size() / 2);
    }
}
