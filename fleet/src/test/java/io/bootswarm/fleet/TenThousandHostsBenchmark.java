package io.bootswarm.fleet;

import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * A load run of announces from {@code hosts} simulated hosts (10,000 by default) against the replicated tracker:
 * two tracker-service replicas sharing one swarm view ({@code bootswarm.tracker.replica.enabled=true}, the topic
 * {@code bootswarm.swarm-peers.v1}) on the fleet's embedded PostgreSQL and Kafka, every host with its own peer id
 * and an agent identity ({@link HostTokens}), in two swarms each (one of all the hosts, and its image's, of
 * {@code swarm-size} hosts), announcing on the {@link AnnounceSchedule}: started, regular announces with
 * {@code left} falling, completed, stopped, one announce of each membership per interval, the interval compressed
 * to {@code 2 × hosts / rate}. Hosts are split over the replicas by parity, as a Service spreads agents. Sent
 * open-loop by {@link AnnounceLoad}; reports p50/p99/p99.9/max (HdrHistogram), failures by kind, the achieved rate
 * against the offered one, and whether the hosts announced through one replica are in the other's answers once
 * the hosts have completed. The first rate is also run against one replica alone, before the second starts, for
 * the ratio; the other rates against the two. A short warm-up (a fifth of the hosts) precedes each setup.
 * Swarm ids are synthetic (seed-service answers "not in the catalog" for their related swarms, so no cross-image
 * peers). Agent identities: {@code identities} (1,000 by default, host {@code h} calling as identity
 * {@code h % identities}), not one per host, because the authorization server's first token of a client re-encodes
 * its secret with bcrypt and every later one checks it (about 0.1 s of CPU a token: 2,000 took 7 minutes on this
 * shared machine). On the announce the tracker uses the identity only to hold the peer id (a token is verified per
 * request whichever identity it names), so what it does per announce is the same; pass {@code identities = hosts}
 * for one each.
 * Everything, the load generator included, runs in this JVM on this machine's cores, so the latencies are
 * pessimistic. Not a test: the build never runs it. (Built in one reactor with {@code -am}, the class path names the
 * modules' {@code target/classes}, not whatever jars of them are in the local repository.)
 *
 * <pre>
 * ./mvnw -q -pl fleet -am test-compile dependency:build-classpath -Dmdep.outputFile=$PWD/fleet/target/cp.txt -Dmdep.includeScope=test
 * BOOTSWARM_INFRA=embedded $JAVA_HOME/bin/java -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.TenThousandHostsBenchmark [rates, e.g. 400,250] [hosts] [rounds] [swarm-size] [identities]
 * </pre>
 */
final class TenThousandHostsBenchmark {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Duration TIMEOUT = Duration.ofSeconds(5);
    private static final double REAL_INTERVAL_SECONDS = 30;

    private final LocalFleet fleet;
    private final HttpClient http;
    private final HostTokens tokens;
    private final List<String> swarmIds;
    private int phases;

    private TenThousandHostsBenchmark(LocalFleet fleet, HttpClient http, HostTokens tokens, List<String> swarmIds) {
        this.fleet = fleet;
        this.http = http;
        this.tokens = tokens;
        this.swarmIds = swarmIds;
    }

    public static void main(String[] args) throws Exception {
        double[] rates = Arrays.stream((args.length > 0 ? args[0] : "1000").split(",")).mapToDouble(Double::parseDouble)
                .toArray();
        int hosts = args.length > 1 ? Integer.parseInt(args[1]) : 10_000;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        int swarmSize = args.length > 3 ? Integer.parseInt(args[3]) : 100;
        int identities = args.length > 4 ? Integer.parseInt(args[4]) : Math.min(hosts, 1_000);
        List<AnnounceSchedule> schedules = Arrays.stream(rates)
                .mapToObj(r -> new AnnounceSchedule(hosts, swarmSize, rounds, r)).toList();
        Duration longest = schedules.stream().map(AnnounceSchedule::interval).max(Duration::compareTo).orElseThrow();
        Path work = Files.createTempDirectory("bootswarm-10k-hosts");
        LocalFleet.Options options = LocalFleet.Options.forTests(work.resolve("fleet")).withTrackerProperties(Map.of(
                "bootswarm.tracker.replica.enabled", true,
                "bootswarm.tracker.announce-interval", longest.toMillis() + "ms",
                "bootswarm.tracker.announce.trusted-networks", "127.0.0.1/32"));
        List<String> results = new ArrayList<>();
        try (LocalFleet fleet = LocalFleet.start(options);
             HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                     .connectTimeout(Duration.ofSeconds(2)).build()) {
            long t0 = System.nanoTime();
            HostTokens tokens = new HostTokens(fleet.auth(), identities);
            tokens.refresh(Duration.ZERO, 8);
            System.out.printf("%d agent identities and their tokens in %.1f s%n", identities,
                    (System.nanoTime() - t0) / 1e9);
            TenThousandHostsBenchmark bench = new TenThousandHostsBenchmark(fleet, http, tokens,
                    swarmIds(schedules.getFirst().swarms()));
            URI a = URI.create(fleet.trackerUrl());
            AnnounceSchedule first = schedules.getFirst();
            AnnounceSchedule warmUp = new AnnounceSchedule(Math.max(1, hosts / 5), swarmSize, 2, first.rate());
            bench.phase("warm-up, 1 replica", warmUp, List.of(a), false);
            results.add(bench.phase("1 replica", first, List.of(a), false));
            ConfigurableApplicationContext replicaB = fleet.startTrackerReplica("tracker-service-2");
            URI b = URI.create("http://127.0.0.1:" + ((WebServerApplicationContext) replicaB).getWebServer().getPort());
            bench.phase("warm-up, 2 replicas", warmUp, List.of(a, b), false);
            for (AnnounceSchedule s : schedules) {
                results.add(bench.phase("2 replicas", s, List.of(a, b), true));
            }
        }
        System.out.printf("%n%d hosts, 2 swarms each (1 of all, %d of %d), %d announces per membership + stopped:%n",
                hosts, schedules.getFirst().swarms() - 1, swarmSize, rounds);
        results.forEach(System.out::println);
    }

    /** Runs {@code s} through {@code replicas}, prints and returns its summary line. */
    private String phase(String name, AnnounceSchedule s, List<URI> replicas, boolean probe) throws Exception {
        Duration length = s.interval().multipliedBy(s.rounds() + 1);
        tokens.refresh(length.plusMinutes(2), 8);
        String load = loadAverage();
        AnnounceLoad run = new AnnounceLoad(http, replicas, tokens, swarmIds, ++phases, TIMEOUT);
        LoadStats stats = new LoadStats();
        System.out.printf("%s: %.0f announces/s offered, interval %.1f s, %d hosts, about %d s%n", name, s.rate(),
                s.interval().toMillis() / 1e3, s.hosts(), length.toSeconds());
        AnnounceLoad.Run announces = run.run(s.announces(), stats);
        String visibility = probe ? visibility(run, s, replicas) : "";
        AnnounceLoad.Run stops = run.run(s.stops(), stats);
        long unfinished = announces.unfinished() + stops.unfinished();
        for (long i = 0; i < unfinished; i++) {
            stats.failed("unfinished");
        }
        LoadStats.Summary sum = stats.summary();
        String line = ("%-20s offered %5.0f/s (= %,d hosts × 2 swarms at a real %.0f s interval), achieved %5.0f/s, "
                + "%s; generator at most %.0f ms late; load average %s → %s%s").formatted(name, s.rate(),
                Math.round(s.rate() * REAL_INTERVAL_SECONDS / 2), REAL_INTERVAL_SECONDS,
                sum.ok() / (announces.seconds() + stops.seconds()), sum,
                Math.max(announces.maxLateMs(), stops.maxLateMs()), load, loadAverage(), visibility);
        System.out.println(line);
        return line;
    }

    /**
     * Once every host has completed, from right after the last answer (so the first probes fall within the
     * replicas' consistency window): through each replica, a probe peer announces in every swarm asking for 200
     * peers. Each image swarm's answer must list every host of that swarm announced through the other replica;
     * the answer in the swarm of all hosts must count them all complete.
     */
    private String visibility(AnnounceLoad run, AnnounceSchedule s, List<URI> replicas) throws Exception {
        String probeToken = "Bearer " + fleet.auth().hostToken("load-probe");
        StringBuilder out = new StringBuilder();
        long t0 = System.nanoTime();
        for (int r = 0; r < replicas.size(); r++) {
            int replica = r;
            long expected = 0;
            long seen = 0;
            long counted = -1;
            for (int swarm = 0; swarm < s.swarms(); swarm++) {
                String probePeer = "ffff" + HexFormat.of().toHexDigits(run.phase()) + "0".repeat(20)
                        + HexFormat.of().toHexDigits((short) replica) + HexFormat.of().toHexDigits((short) swarm);
                JsonNode answer = probe(replicas.get(r), probeToken, swarmIds.get(swarm), probePeer, "started");
                Set<String> peers = new HashSet<>();
                int seeds = 0;
                for (JsonNode p : answer.get("peers")) {
                    String id = p.get("peerId").asString();
                    if (id.startsWith(HexFormat.of().toHexDigits(run.phase()))) {
                        peers.add(id);
                    } else if (p.get("seed").asBoolean()) {
                        seeds++;
                    }
                }
                if (swarm == 0) {
                    counted = answer.get("complete").asLong() - seeds;
                } else {
                    int image = swarm;
                    for (int host : IntStream.range(0, s.hosts())
                            .filter(h -> s.imageSwarm(h) == image && h % replicas.size() != replica).toArray()) {
                        expected++;
                        if (peers.contains(run.peerId(host))) {
                            seen++;
                        }
                    }
                }
                probe(replicas.get(r), probeToken, swarmIds.get(swarm), probePeer, "stopped");
            }
            out.append("; through replica ").append((char) ('A' + r)).append(": ").append(seen).append('/')
                    .append(expected).append(" hosts of the other replica in the image swarms' answers, ")
                    .append(counted).append('/').append(s.hosts()).append(" counted complete in the swarm of all");
        }
        out.append(" (probed from right after the last answer, in %.1f s)".formatted((System.nanoTime() - t0) / 1e9));
        return out.toString();
    }

    private JsonNode probe(URI replica, String token, String swarm, String peer, String event) throws Exception {
        String body = "{\"swarmId\":\"" + swarm + "\",\"peerId\":\"" + peer + "\",\"host\":\"10.255.255.254\","
                + "\"port\":6881,\"left\":1,\"event\":\"" + event + "\",\"numWant\":200}";
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(replica.resolve("/api/v1/announce"))
                .header("Authorization", token).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("probe through " + replica + ": HTTP " + r.statusCode() + " " + r.body());
        }
        return JSON.readTree(r.body());
    }

    /** {@code n} synthetic swarm ids: SHA-1 of a name, as an image's info hash is a SHA-1. */
    private static List<String> swarmIds(int n) throws Exception {
        List<String> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
                    .digest(("bootswarm-10k-hosts/" + i).getBytes(StandardCharsets.UTF_8))));
        }
        return ids;
    }

    private static String loadAverage() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
    }
}
