package io.bootswarm.fleet;

import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.allocator.AllocatorServiceApplication;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.seed.SeedServiceApplication;
import io.bootswarm.tracker.TrackerServiceApplication;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * No single point of failure under a boot storm (issue 15): two tracker replicas (shared swarm view) behind a
 * {@link TcpForwarder} standing in for their Service, two seeds on one storage directory and one database, two
 * allocators electing a planner; four agents (in this JVM) launch a cold image of distinct non-zero pieces and all
 * read it at once over NBD. While the reads are under way, tracker 1, seed 1 and the allocator that is planning
 * (allocator-a) are SIGKILLed, then started again. Every read must end with every byte right; every host gets one
 * launch command and one disk and its launch reaches READY once; the standby (allocator-b) publishes, with the
 * next epoch, within lease + renew interval + one period of the killed one's last plan (by the plans' own
 * timestamps), and the restarted one stands by; the agents' announces are answered, with peers, while tracker 1
 * is gone.
 *
 * <p>The three replicas that are killed each run in a JVM of their own ({@link ServiceProcess}); the survivors
 * (tracker 2, seed 2, allocator-b) are the fleet's own services in this JVM: on a shared 2-core build machine six
 * service JVMs took minutes to start. The test image is imported before the storm: what this checks is failover,
 * not imports on shared storage.
 */
class HaBootStormIT extends FleetITSupport {

    static final int PIECE = 256 * 1024;
    static final int PIECES = 288;
    static final int AGENTS = 4;
    /** Each seed's upload rate: the storm takes several seconds, so the kills land while it is under way. */
    static final String SEED_RATE = "4MB";
    static final Duration PERIOD = Duration.ofSeconds(1);
    static final Duration LEASE = Duration.ofSeconds(2);
    static final Duration RENEW = Duration.ofMillis(400);
    static final Duration WAIT = Duration.ofMinutes(2);
    /** How long a service's JVM may take to be ready, or the reads to finish, on a loaded build machine. */
    static final Duration SLOW = Duration.ofMinutes(5);
    static final JsonMapper JSON = JsonMapper.builder().build();
    static final String KILLED_ALLOCATOR = "allocator-a";
    static final String STANDBY = "allocator-b";
    static final String ANNOUNCES_ANSWERED = "http.server.requests?tag=uri:/api/v1/announce&tag=status:200";

    private final List<ServiceProcess> processes = new ArrayList<>();
    /** One thread per read: the common pool has a single thread on a 2-core machine. */
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();
    private TcpForwarder forwarder;

    @Override
    LocalFleet.Options options(LocalFleet.Options defaults) {
        return defaults
                .withSeedProperties(Map.of("bootswarm.seed.upload-rate", SEED_RATE, "bootswarm.seed.id", "seed-2"))
                .withAllocatorProperties(Map.of("bootswarm.allocator.period", PERIOD.toMillis() + "ms",
                        "bootswarm.allocator.report-interval", PERIOD.toMillis() + "ms",
                        "bootswarm.allocator.leader.lease-duration", LEASE.toMillis() + "ms",
                        "bootswarm.allocator.leader.renew-interval", RENEW.toMillis() + "ms",
                        "bootswarm.allocator.leader.instance-id", STANDBY,
                        "bootswarm.outbox.poll-interval", "200ms"))
                .withTrackerProperties(Map.of("bootswarm.tracker.replica.enabled", "true",
                        "bootswarm.tracker.announce-interval", "2s"));
    }

    @AfterAll
    void stopProcesses() throws Exception {
        for (ServiceProcess p : processes) {
            p.close();
        }
        if (forwarder != null) {
            forwarder.close();
        }
        threads.shutdownNow();
    }

    /** A plan of the history: who made it, in which epoch, and when (the allocator's clock). */
    record Plan(UUID id, Instant at, String leader, long epoch) {
    }

    @Test
    void aBootStormReadsEveryByteWithATrackerASeedAndThePlanningAllocatorKilled() throws Exception {
        Tools.Image image = Tools.distinctPieces(work.resolve("storm.img"), PIECES, PIECE, 16, 15);
        int nonZero = image.pieces() - image.zeroPieces();
        JsonNode uploaded = client.uploadImage("storm-image", image.file());
        UUID imageId = UUID.fromString(uploaded.path("id").asString());
        String swarm = uploaded.path("swarmId").asString();
        Files.delete(image.file());
        fleet.manifestKey(); // the agents are pinned to the seeds' signing key (one key: one storage directory)

        // the replicas that are killed run in processes of their own; the survivors are the fleet's in this JVM
        String tracker2Url = fleet.trackerUrl();
        int seed2PeerPort = fleet.seed().getBean(PeerWireServer.class).port();
        Map<String, String> allocatorArgs = ServiceProcess.commandLine(fleet.allocator());
        fleet.stopAllocator(); // gives up its lease: allocator-a (a process) is elected, allocator-b stands by
        int tracker1Port = freeTcpPort();
        forwarder = new TcpForwarder(List.of(new InetSocketAddress("127.0.0.1", tracker1Port),
                new InetSocketAddress("127.0.0.1", LocalFleet.port(fleet.tracker()))));
        ServiceProcess tracker1 = service("tracker-1", TrackerServiceApplication.class,
                ServiceProcess.commandLine(fleet.tracker()), Map.of("server.port", tracker1Port));
        ServiceProcess seed1 = service("seed-1", SeedServiceApplication.class, ServiceProcess.commandLine(fleet.seed()),
                Map.of("server.port", freeTcpPort(), "bootswarm.seed.peer-port", freeTcpPort(),
                        "bootswarm.seed.id", "seed-1", "bootswarm.seed.tracker-url", forwarder.url()));
        ServiceProcess allocatorA = service(KILLED_ALLOCATOR, AllocatorServiceApplication.class, allocatorArgs,
                Map.of("server.port", freeTcpPort(), "bootswarm.allocator.leader.instance-id", KILLED_ALLOCATOR));
        List<ServiceProcess> killed = List.of(tracker1, seed1, allocatorA);
        FleetClient api = new FleetClient(forwarder.url(), fleet.seedUrl(), () -> fleet.auth().token(LocalFleet.OPERATOR));
        for (ServiceProcess p : killed) {
            p.start();
        }
        for (ServiceProcess p : killed) {
            p.awaitReady(SLOW);
        }
        await("allocator-a elected").atMost(WAIT).until(() -> gauge(api, allocatorA.url(), "bootswarm.allocator.leader") == 1);
        fleet.startAllocator();
        String standbyUrl = fleet.allocatorUrl();
        for (String t : List.of(tracker1.url(), tracker2Url)) {
            await("both seeds registered at " + t).atMost(WAIT)
                    .until(() -> api.get(t + "/api/v1/seeds").size() == 2);
        }

        List<LocalFleet.Agent> agents = startAgents(api);
        List<UUID> launches = new ArrayList<>();
        for (LocalFleet.Agent a : agents) {
            launches.add(UUID.fromString(api.launch(imageId, List.of(a.name()), null).path("id").asString()));
        }
        List<String> nbd = new ArrayList<>();
        for (UUID id : launches) {
            nbd.add(api.awaitLaunchReady(id, WAIT).path("hosts").get(0).path("nbdUri").asString());
        }
        await("plans from allocator-a").atMost(WAIT).until(() -> plans(api, standbyUrl).size() >= 2);

        // the storm: every agent reads the whole cold image at once
        List<CompletableFuture<Tools.Streamed>> reads = new ArrayList<>();
        for (int i = 0; i < AGENTS; i++) {
            String uri = nbd.get(i);
            Path log = work.resolve("read-" + i + ".log");
            reads.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return Tools.digestStdout(SLOW, log, "nbdcopy", uri, "-");
                } catch (IOException | InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            }, threads));
        }
        await("pieces on every agent").atMost(WAIT).until(() -> present(api, agents, launches).stream()
                .allMatch(n -> n > 0));
        List<Integer> presentAtKill = present(api, agents, launches);
        Plan lastBeforeKill = plans(api, standbyUrl).getLast();
        double answeredBefore = counter(api, tracker2Url, ANNOUNCES_ANSWERED);
        for (ServiceProcess p : killed) {
            p.kill();
        }
        assertThat(presentAtKill).as("pieces present per agent at the kill: the reads were under way")
                .allSatisfy(n -> assertThat(n).isPositive().isLessThan(nonZero));
        assertThat(lastBeforeKill.leader()).as("the planner when it was killed").isEqualTo(KILLED_ALLOCATOR);

        // the standby plans with the next epoch
        await("a plan from the standby").atMost(WAIT)
                .until(() -> plans(api, standbyUrl).getLast().leader().equals(STANDBY));
        // the agents' announces are answered by the surviving replica, with peers
        await("announces answered by tracker 2").atMost(WAIT)
                .until(() -> counter(api, tracker2Url, ANNOUNCES_ANSWERED) >= answeredBefore + AGENTS);
        for (LocalFleet.Agent a : agents) {
            JsonNode answer = announceAs(a, swarm, forwarder.url());
            assertThat(answer.path("peers").valueStream().map(p -> p.path("port").asInt()).toList())
                    .as("peers named to %s while tracker 1 is gone", a.name()).contains(seed2PeerPort);
        }

        // bring them back
        for (ServiceProcess p : killed) {
            p.start();
        }
        for (ServiceProcess p : killed) {
            p.awaitReady(SLOW);
        }
        int plansAfterRestart = plans(api, standbyUrl).size();

        for (int i = 0; i < AGENTS; i++) {
            Tools.Streamed r = reads.get(i).join();
            assertThat(r.exit()).as("nbdcopy of %s: %s", agents.get(i).name(), r.log()).isZero();
            assertThat(r.bytes()).as("bytes read by %s", agents.get(i).name()).isEqualTo(image.size());
            assertThat(r.sha256()).as("the image as %s read it", agents.get(i).name()).isEqualTo(image.sha256());
        }
        assertThat(present(api, agents, launches)).containsOnly(nonZero);

        // the allocators: one takeover, the next epoch, within lease + renew + one period, by the plans' clocks;
        // the restarted one stands by
        int plansAtRestart = plansAfterRestart;
        await("plans made after the killed allocator is back").atMost(WAIT)
                .until(() -> plans(api, standbyUrl).size() >= plansAtRestart + 3);
        List<Plan> all = plans(api, standbyUrl);
        long epoch = lastBeforeKill.epoch();
        int firstOfStandby = indexOfFirst(all, p -> p.leader().equals(STANDBY) && p.epoch() > epoch);
        Plan lastOfKilled = all.get(firstOfStandby - 1);
        Plan first = all.get(firstOfStandby);
        assertThat(lastOfKilled).as("the last plan before the takeover").extracting(Plan::leader, Plan::epoch)
                .containsExactly(KILLED_ALLOCATOR, epoch);
        assertThat(all).as("plans in time order: epochs never go back (no two leaders interleaved)")
                .isSortedAccordingTo(Comparator.comparingLong(Plan::epoch));
        assertThat(all.subList(firstOfStandby, all.size())).as("plans since the takeover: the standby's, next epoch")
                .allSatisfy(p -> assertThat(p).extracting(Plan::leader, Plan::epoch)
                        .containsExactly(STANDBY, epoch + 1));
        Duration gap = Duration.between(lastOfKilled.at(), first.at());
        System.out.printf("takeover: %s's last plan at %s, %s's first at %s: %d ms (lease %s, renew %s, period %s)%n",
                KILLED_ALLOCATOR, lastOfKilled.at(), STANDBY, first.at(), gap.toMillis(), LEASE, RENEW, PERIOD);
        assertThat(gap).as("from the killed leader's last plan to the standby's first")
                .isLessThanOrEqualTo(LEASE.plus(RENEW).plus(PERIOD));

        // launches: one command and one disk per host, READY reached once
        Map<String, List<JsonNode>> commands = events(Topics.LAUNCH_COMMANDS, launches);
        Map<String, List<JsonNode>> statuses = events(Topics.LAUNCH_STATUS, launches);
        for (int i = 0; i < AGENTS; i++) {
            LocalFleet.Agent a = agents.get(i);
            String key = launches.get(i) + "/" + a.name();
            assertThat(commands.get(key)).as("launch commands for %s", key).hasSize(1)
                    .allSatisfy(c -> assertThat(c.path("action").asString()).isEqualTo("START"));
            assertThat(readyRuns(statuses.get(key))).as("times %s reached READY", key).isEqualTo(1);
            assertThat(api.get(a.apiUrl() + "/api/v1/disks").valueStream()
                    .map(d -> d.path("launchId").asString()).toList())
                    .as("disks on %s", a.name()).containsExactly(launches.get(i).toString());
            assertThat(api.launch(launches.get(i)).path("hosts").get(0).path("state").asString()).isEqualTo("READY");
        }
        assertThat(commands.keySet()).as("hosts commanded").hasSize(AGENTS);
    }

    private ServiceProcess service(String name, Class<?> main, Map<String, String> args, Map<String, Object> own) {
        Map<String, String> p = new LinkedHashMap<>(args);
        own.forEach((k, v) -> p.put(k, String.valueOf(v)));
        ServiceProcess s = new ServiceProcess(name, main.getName(), p, Path.of("target", "ha-boot-storm"));
        processes.add(s);
        return s;
    }

    private List<LocalFleet.Agent> startAgents(FleetClient api) throws Exception {
        List<CompletableFuture<LocalFleet.Agent>> starting = new ArrayList<>();
        for (int i = 1; i <= AGENTS; i++) {
            String name = "storm-" + i;
            starting.add(CompletableFuture.supplyAsync(() -> fleet.startAgent(name, Map.of(
                    "bootswarm.agent.tracker-url", forwarder.url(),
                    "bootswarm.agent.report.interval", PERIOD.toMillis() + "ms")), threads));
        }
        List<LocalFleet.Agent> agents = starting.stream().map(CompletableFuture::join).toList();
        for (LocalFleet.Agent a : agents) {
            api.awaitHostUp(a.name(), WAIT);
        }
        return agents;
    }

    private static List<Integer> present(FleetClient api, List<LocalFleet.Agent> agents, List<UUID> launches)
            throws IOException, InterruptedException {
        List<Integer> present = new ArrayList<>();
        for (int i = 0; i < agents.size(); i++) {
            present.add(api.disk(agents.get(i).apiUrl(), launches.get(i)).path("piecesPresent").asInt());
        }
        return present;
    }

    /** The plan history (shared by the allocators through their database) as {@code via} lists it, oldest first. */
    private static List<Plan> plans(FleetClient api, String via) throws IOException, InterruptedException {
        List<Plan> plans = new ArrayList<>();
        for (int page = 0; ; page++) {
            JsonNode h = api.get(via + "/api/v1/plans?size=100&page=" + page);
            h.path("plans").forEach(p -> plans.add(new Plan(UUID.fromString(p.path("planId").asString()),
                    Instant.parse(p.path("at").asString()), p.path("leader").asString(), p.path("epoch").asLong())));
            if (h.path("plans").isEmpty() || plans.size() >= h.path("total").asLong()) {
                break;
            }
        }
        return plans.stream().filter(p -> p.leader().startsWith("allocator-"))
                .sorted(Comparator.comparing(Plan::at)).toList();
    }

    private static int indexOfFirst(List<Plan> plans, java.util.function.Predicate<Plan> p) {
        for (int i = 0; i < plans.size(); i++) {
            if (p.test(plans.get(i))) {
                return i;
            }
        }
        throw new AssertionError("no such plan in " + plans);
    }

    /** The COUNT of a meter of the service at {@code url} (its actuator; 0 while no such meter exists). */
    private static double counter(FleetClient api, String url, String meter) throws IOException, InterruptedException {
        return measurement(api, url, meter, "COUNT");
    }

    private static double gauge(FleetClient api, String url, String meter) throws IOException, InterruptedException {
        return measurement(api, url, meter, "VALUE");
    }

    private static double measurement(FleetClient api, String url, String meter, String statistic)
            throws IOException, InterruptedException {
        try {
            return api.get(url + "/actuator/metrics/" + meter).path("measurements").valueStream()
                    .filter(x -> x.path("statistic").asString().equals(statistic))
                    .mapToDouble(x -> x.path("value").asDouble()).sum();
        } catch (FleetClient.HttpError e) {
            if (e.status() == 404) {
                return 0;
            }
            throw e;
        }
    }

    /**
     * Announces through {@code trackerUrl} as agent {@code a} itself would (its host's token, its peer id and
     * port, no event): a re-announce that changes nothing, to see the peers the tracker names.
     */
    private static JsonNode announceAs(LocalFleet.Agent a, String swarm, String trackerUrl) throws Exception {
        SwarmManager swarms = a.context().getBean(SwarmManager.class);
        String body = """
                {"swarmId":"%s","peerId":"%s","host":"127.0.0.1","port":%d,"left":%d,"uploaded":0,"downloaded":0,
                 "numWant":50}""".formatted(swarm, HexFormat.of().formatHex(swarms.peerId()), swarms.peerPort(),
                (long) PIECE);
        try (HttpClient http = HttpClient.newHttpClient()) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(trackerUrl + "/api/v1/announce"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + fleet.auth().hostToken(a.name()))
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("announce as %s: %s", a.name(), r.body()).isEqualTo(200);
            return JSON.readTree(r.body());
        }
    }

    /** The events of {@code topic} about {@code launches}, by {@code <launch id>/<host>}, in topic order. */
    private static Map<String, List<JsonNode>> events(String topic, List<UUID> launches) {
        Set<String> ids = launches.stream().map(UUID::toString).collect(Collectors.toSet());
        Map<String, Object> p = new HashMap<>(fleet.kafkaClientProperties(KafkaUser.ADMIN));
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        Map<String, List<JsonNode>> events = new LinkedHashMap<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(500))) {
                    JsonNode e = JSON.readTree(r.value());
                    if (ids.contains(e.path("launchId").asString())) {
                        events.computeIfAbsent(e.path("launchId").asString() + "/" + e.path("host").asString(),
                                k -> new ArrayList<>()).add(e);
                    }
                }
            }
        }
        return events;
    }

    /** How many times the states, in sequence order, enter READY. */
    private static long readyRuns(List<JsonNode> statuses) {
        assertThat(statuses).as("status reports").isNotNull();
        List<String> states = statuses.stream().sorted(Comparator.comparingLong(s -> s.path("sequence").asLong()))
                .map(s -> s.path("state").asString()).toList();
        assertThat(states).as("states reported").doesNotContain("FAILED", "STOPPED");
        long runs = 0;
        String previous = null;
        for (String s : states) {
            if (s.equals("READY") && !s.equals(previous)) {
                runs++;
            }
            previous = s;
        }
        return runs;
    }
}
