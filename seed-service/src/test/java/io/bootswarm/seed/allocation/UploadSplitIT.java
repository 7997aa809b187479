package io.bootswarm.seed.allocation;

import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.SwarmReport;
import io.bootswarm.common.events.Topics;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.seed.Api;
import io.bootswarm.seed.PeerClient;
import io.bootswarm.seed.SeedTestSupport;
import io.bootswarm.seed.TestImages;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The seed's per-group byte rates follow allocator-service's plan, measured on the peer wire: two
 * images sharing pieces (B is A with its first 16 pieces replaced and 8 appended), so three piece
 * groups; seven peers pull pieces of the shared group (in both images' swarms) and of B's own group
 * as fast as the seed lets them. The seed uploads 8 MB/s in all. A plan is published on Kafka, its
 * rates are measured from the seed's per-group counters over 3 s; then a second plan with the
 * opposite split; then that plan expires and the fallback split by the bytes peers report missing
 * takes over. Tolerance: each group's measured rate within 15 % of its planned rate (token buckets
 * with a burst of 1/20 s, measured over ≥ 2.5 s, give a few per cent; the rest is slack for a
 * loaded 2-core machine).
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=seed-service",
        "bootswarm.seed.upload-rate=8000000B",
        "bootswarm.seed.allocation.check-interval=200ms",
})
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UploadSplitIT {

    private static final int PIECE = 256 * 1024;
    private static final long US = 8_000_000;
    private static final double TOLERANCE = 0.15;
    private static final Path STORAGE = SeedTestSupport.newStorageDir();
    private static final String DATABASE = SeedTestSupport.newDatabase();

    @DynamicPropertySource
    static void seedProperties(DynamicPropertyRegistry registry) {
        SeedTestSupport.register(registry, DATABASE, STORAGE);
    }

    @LocalServerPort
    int port;
    @Autowired
    PeerWireServer server;

    private Api api;
    private UUID imageA;
    private UUID imageB;
    private SwarmId swarmA;
    private SwarmId swarmB;
    private String shared;
    private String onlyB;
    private List<Integer> sharedPieces;
    private List<Integer> onlyBPieces;
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> peers = new ArrayList<>();

    @BeforeAll
    void twoImagesSharingPiecesAndPeersPullingTwoGroups() throws Exception {
        api = new Api(port);
        Path dir = Files.createTempDirectory("split-it-");
        Path a = TestImages.write(dir.resolve("a.raw"), 64L * PIECE, 11);
        Path b = dir.resolve("b.raw");
        byte[] bytes = Files.readAllBytes(a);
        byte[] other = new byte[16 * PIECE];
        new Random(12).nextBytes(other);
        System.arraycopy(other, 0, bytes, 0, other.length);
        try (OutputStream out = Files.newOutputStream(b)) {
            out.write(bytes);
            byte[] tail = new byte[8 * PIECE];
            new Random(13).nextBytes(tail);
            out.write(tail);
        }
        JsonNode ja = json(api.upload("split-a", a));
        JsonNode jb = json(api.upload("split-b", b));
        imageA = UUID.fromString(ja.get("id").asString());
        imageB = UUID.fromString(jb.get("id").asString());
        swarmA = SwarmId.parse(ja.get("swarmId").asString());
        swarmB = SwarmId.parse(jb.get("swarmId").asString());

        JsonNode groups = json(api.get("/api/v1/images/" + imageB + "/groups"));
        List<String> ids = new ArrayList<>();
        for (JsonNode g : groups.get("groups")) {
            ids.add(g.get("groupId").asString());
            if (g.get("imageIds").size() == 2) {
                shared = g.get("groupId").asString();
            } else {
                onlyB = g.get("groupId").asString();
            }
        }
        assertThat(ids).hasSize(2);
        ByteBuffer of = ByteBuffer.wrap(Base64.getDecoder().decode(groups.get("pieceGroups").asString()));
        sharedPieces = new ArrayList<>();
        onlyBPieces = new ArrayList<>();
        for (int p = 0; p < 72; p++) {
            String g = ids.get(of.getInt());
            (g.equals(shared) ? sharedPieces : onlyBPieces).add(p);
        }
        assertThat(sharedPieces).hasSize(48);
        assertThat(onlyBPieces).hasSize(24);
        // A's pieces 16..63 are B's 16..63: the shared group, asked for in A's swarm
        List<Integer> sharedInA = sharedPieces;
        for (int i = 0; i < 3; i++) {
            pull(swarmA, 64, sharedInA, i);
            pull(swarmB, 72, onlyBPieces, i);
        }
        pull(swarmB, 72, sharedPieces, 3);
    }

    @AfterAll
    void stopPeers() throws InterruptedException {
        stop.set(true);
        for (Thread t : peers) {
            t.join(5000);
        }
    }

    /** A peer that fetches {@code pieces} round and round from the seed until the test ends. */
    private void pull(SwarmId swarm, int pieceCount, List<Integer> pieces, int offset) {
        peers.add(Thread.ofVirtual().start(() -> {
            try (PeerClient peer = PeerClient.connect(server.port())) {
                peer.handshake(swarm, pieceCount);
                peer.send(PeerMessage.INTERESTED);
                while (!(peer.read() instanceof PeerMessage.Unchoke)) {
                    // bitfield first
                }
                for (int i = offset * 7; !stop.get(); i++) {
                    peer.fetchPiece(pieces.get(i % pieces.size()), PIECE);
                }
            } catch (IOException e) {
                if (!stop.get()) {
                    throw new IllegalStateException(e);
                }
            }
        }));
    }

    @Test
    void perGroupRatesFollowEachPlanThenTheFallbackSplit() throws Exception {
        // plan 1: 3/4 to the shared group
        AllocationPlan p1 = plan(Map.of(shared, 6_000_000.0, onlyB, 2_000_000.0), Duration.ofMinutes(1));
        publishAndAwait(p1, v -> p1.planId().toString().equals(v.path("planId").asString()));
        Map<String, Double> r1 = measure(24_000_000);
        report("plan 1", p1, r1);
        assertFollows(r1, 6_000_000, 2_000_000);

        // plan 2, the other way round, valid only for a few seconds (its 16 MB take 2 s at the seed's 8 MB/s)
        AllocationPlan p2 = plan(Map.of(shared, 2_000_000.0, onlyB, 6_000_000.0), Duration.ofSeconds(8));
        publishAndAwait(p2, v -> p2.planId().toString().equals(v.path("planId").asString()));
        Map<String, Double> r2 = measure(12_000_000);
        report("plan 2", p2, r2);
        assertFollows(r2, 2_000_000, 6_000_000);

        // agents report what they miss (shared : B-only = 3 : 1); plan 2 expires -> fallback by those bytes
        publish(new SwarmReport(UUID.randomUUID(), Instant.now(), "split-it-host", 10_000_000, List.of(
                new SwarmReport.Entry(swarmB.hex(), imageB, shared, 30L * PIECE, 0.5),
                new SwarmReport.Entry(swarmB.hex(), imageB, onlyB, 10L * PIECE, 0.5))), "split-it-host");
        JsonNode fallback = awaitSplit(v -> "FALLBACK".equals(v.path("source").asString()), Duration.ofSeconds(15));
        assertThat(fallback.path("reason").asString()).contains("expired");
        Map<String, Double> r3 = measure(20_000_000);
        System.out.printf("fallback: shared %.3f of the bytes (expected 0.75), B-only %.3f (expected 0.25)%n",
                r3.get(shared), r3.get(onlyB));
        assertFollows(r3, 6_000_000, 2_000_000);
    }

    @Test
    void groupEndpointAnswersProblems() {
        var bad = api.get("/api/v1/allocation/groups/not-a-group");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/problem+json"));
        assertThat(json(bad).path("groupId").asString()).isEqualTo("not-a-group");
        var unknown = api.get("/api/v1/allocation/groups/" + "0".repeat(32));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t)
                .startsWith("application/problem+json"));
    }

    private AllocationPlan plan(Map<String, Double> rates, Duration validity) {
        Instant now = Instant.now();
        return new AllocationPlan(UUID.randomUUID(), now, UUID.randomUUID(), "CROSS_OPT", US, now.plus(validity),
                10, 5, 0, 0, rates.entrySet().stream().map(e -> AllocationPlan.Rate.ofGroup(e.getKey(), e.getValue()))
                .toList());
    }

    private void publish(BootswarmEvent event, String key) throws Exception {
        if (event instanceof AllocationPlan) {
            SeedTestSupport.send(KafkaUser.ALLOCATOR, Topics.ALLOCATION_PLANS, key, EventCodec.encode(event));
        } else {
            SeedTestSupport.send(KafkaUser.AGENT, Topics.SWARM_REPORTS, key, EventCodec.encode(event));
        }
    }

    /** Publishes the plan and returns the seed's REST view once it shows it. */
    private JsonNode publishAndAwait(AllocationPlan plan, Predicate<JsonNode> applied) throws Exception {
        publish(plan, AllocationPlan.KEY);
        return awaitSplit(applied, Duration.ofSeconds(5));
    }

    private JsonNode awaitSplit(Predicate<JsonNode> condition, Duration timeout) {
        return await("the split to change as expected").atMost(timeout).pollInterval(Duration.ofMillis(50))
                .until(() -> json(api.get("/api/v1/allocation")), condition::test);
    }

    /** Bytes served after a split changes before its buckets count as settled. */
    private static final long SETTLE_BYTES = 4_000_000;

    /**
     * Each group's share of the next {@code bytes} the seed serves to the peers (which pull both groups
     * as fast as they are let), once {@link #SETTLE_BYTES} have been served under the new split: counted
     * in bytes, not over a stretch of wall time, so that a slow machine changes how long it takes, not
     * the result.
     */
    private Map<String, Double> measure(long bytes) {
        Map<String, Long> start = uploaded();
        Map<String, Long> before = awaitServed(start, SETTLE_BYTES);
        Map<String, Long> after = awaitServed(before, bytes);
        double s = after.get(shared) - before.get(shared);
        double o = after.get(onlyB) - before.get(onlyB);
        return Map.of(shared, s / (s + o), onlyB, o / (s + o));
    }

    private Map<String, Long> awaitServed(Map<String, Long> since, long bytes) {
        return await(bytes + " more bytes served").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                .until(this::uploaded, now -> total(now) - total(since) >= bytes);
    }

    private static long total(Map<String, Long> uploaded) {
        return uploaded.values().stream().mapToLong(Long::longValue).sum();
    }

    private Map<String, Long> uploaded() {
        JsonNode view = json(api.get("/api/v1/allocation"));
        Map<String, Long> out = new java.util.HashMap<>(Map.of(shared, 0L, onlyB, 0L));
        for (JsonNode s : view.get("swarms")) {
            if (!s.path("groupId").isNull() && out.containsKey(s.path("groupId").asString())) {
                out.put(s.path("groupId").asString(), s.path("uploadedBytes").asLong());
            }
        }
        return out;
    }

    private void report(String what, AllocationPlan plan, Map<String, Double> measured) {
        System.out.printf("%s: shared %.3f of the bytes (plan %.0f B/s), B-only %.3f (plan %.0f B/s)%n", what,
                measured.get(shared), rate(plan, shared), measured.get(onlyB), rate(plan, onlyB));
    }

    private static double rate(AllocationPlan plan, String group) {
        return plan.rates().stream().filter(r -> group.equals(r.groupId())).findFirst().orElseThrow().bytesPerSecond();
    }

    /** Each group's share of the bytes is its rate's share of the split, within {@link #TOLERANCE}. */
    private void assertFollows(Map<String, Double> measured, double sharedRate, double onlyBRate) {
        double sum = sharedRate + onlyBRate;
        assertThat(measured.get(shared)).as("shared group's share").isCloseTo(sharedRate / sum,
                org.assertj.core.data.Percentage.withPercentage(TOLERANCE * 100));
        assertThat(measured.get(onlyB)).as("B-only group's share").isCloseTo(onlyBRate / sum,
                org.assertj.core.data.Percentage.withPercentage(TOLERANCE * 100));
    }
}
