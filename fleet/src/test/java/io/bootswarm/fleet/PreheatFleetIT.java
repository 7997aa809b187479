package io.bootswarm.fleet;

import io.bootswarm.agent.preheat.Preheater;
import io.bootswarm.agent.preheat.Preheats;
import io.bootswarm.agent.swarm.SwarmManager;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Preheats through the whole fleet: the tracker's {@code /api/v1/preheats} sends the agents their commands over
 * Kafka, the agents fetch through the swarm and report back, and the tracker shows each host's progress. A launch
 * on a preheated host then reads its profile's pieces without a single demand miss, where a host that was not
 * preheated waits for each; a cancelled preheat stops requesting pieces.
 */
class PreheatFleetIT extends FleetITSupport {

    private static final int PIECE = 256 * 1024;

    private final HttpClient http = HttpClient.newHttpClient();
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void aPreheatedHostsLaunchReadsItsProfileWithoutDemandMissesAndTheTrackerShowsTheProgress() throws Exception {
        Path original = Tools.image(work.resolve("preheated.img"), 24L * 1024 * 1024, 21);
        UUID imageId = UUID.fromString(client.uploadImage("preheated", original).path("id").asString());
        // pieces of the chunks Tools.image fills with random bytes (every third MiB is zeros)
        List<Integer> profile = new ArrayList<>();
        for (int piece = 0; piece < 96; piece++) {
            if ((piece / 4) % 3 == 0 && piece % 2 == 0) {
                profile.add(piece);
            }
        }
        String workload = "boot-" + UUID.randomUUID().toString().substring(0, 8);
        uploadProfile(imageId, workload, profile);

        LocalFleet.Agent warm = fleet.startAgent("warm-host", Map.of());
        LocalFleet.Agent cold = fleet.startAgent("cold-host", Map.of());
        client.awaitHostUp("warm-host", T);
        client.awaitHostUp("cold-host", T);

        HttpResponse<String> created = send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["warm-host"], "workload": "%s", "scope": "profile"}"""
                .formatted(imageId, workload), "orchestrator");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode preheat = json.readTree(created.body());
        UUID preheatId = UUID.fromString(preheat.path("id").asString());
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l)
                .endsWith("/api/v1/preheats/" + preheatId));
        assertThat(preheat.path("scope").asString()).isEqualTo("PROFILE");

        JsonNode done = awaitPreheat(preheatId, "DONE").path("hosts").get(0);
        assertThat(done.path("host").asString()).isEqualTo("warm-host");
        assertThat(done.path("piecesTotal").asInt()).isEqualTo(profile.size());
        assertThat(done.path("piecesDone").asInt()).isEqualTo(profile.size());
        assertThat(done.path("bytesFetched").asLong()).isEqualTo((long) profile.size() * PIECE);
        JsonNode listed = json.readTree(send("GET", "/api/v1/preheats?imageId=" + imageId, null, "viewer").body());
        assertThat(listed.path("items").valueStream().map(p -> p.path("id").asString()))
                .containsExactly(preheatId.toString());

        UUID launchId = UUID.fromString(client.launch(imageId, List.of("warm-host", "cold-host"),
                Map.of("workload", workload, "policy", "DEMAND"), null).path("id").asString());
        client.awaitLaunchReady(launchId, T);

        int warmMisses = readProfileOverNbd(warm, launchId, profile, original);
        int coldMisses = readProfileOverNbd(cold, launchId, profile, original);
        System.out.printf("profile of %d pieces read over NBD: preheated host %d demand misses, other host %d%n",
                profile.size(), warmMisses, coldMisses);
        assertThat(warmMisses).as("demand misses on the preheated host").isZero();
        assertThat(coldMisses).as("demand misses on the host not preheated").isPositive();
    }

    @Test
    void aCancelledPreheatStopsRequestingPiecesAndTheTrackerShowsItCancelled() throws Exception {
        Path large = Tools.image(work.resolve("large.img"), 32L * 1024 * 1024, 22);
        UUID imageId = UUID.fromString(client.uploadImage("large", large).path("id").asString());
        Path small = Tools.image(work.resolve("small.img"), 2L * 1024 * 1024, 23);
        UUID smallId = UUID.fromString(client.uploadImage("small", small).path("id").asString());
        LocalFleet.Agent slow = fleet.startAgent("slow-host", Map.of(
                "bootswarm.agent.preheat.max-bytes-per-second", "1MB", "bootswarm.agent.preheat.concurrency", 1));
        client.awaitHostUp("slow-host", T);

        HttpResponse<String> created = send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["slow-host"], "scope": "all"}""".formatted(imageId), "admin");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        UUID preheatId = UUID.fromString(json.readTree(created.body()).path("id").asString());
        awaitPreheat(preheatId, p -> "RUNNING".equals(state(p)) && host(p).path("piecesDone").asInt() >= 4,
                "RUNNING with 4 pieces done");

        HttpResponse<String> cancel = send("DELETE", "/api/v1/preheats/" + preheatId, null, "orchestrator");
        assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);
        assertThat(json.readTree(cancel.body()).hasNonNull("cancelRequestedAt")).isTrue();
        JsonNode cancelled = host(awaitPreheat(preheatId, "CANCELLED"));
        int total = cancelled.path("piecesTotal").asInt();
        assertThat(cancelled.path("piecesDone").asInt()).isBetween(4, total - 1);

        Preheats preheats = slow.context().getBean(Preheats.class);
        Preheater.Progress agentSide = preheats.progress(preheatId).orElseThrow();
        assertThat(agentSide.state()).isEqualTo(Preheater.State.CANCELLED);
        assertThat(agentSide.inFlight()).isZero();
        SwarmManager swarms = slow.context().getBean(SwarmManager.class);
        long fetchedAtCancel = swarms.find(imageId).orElseThrow().stats().piecesFetched();
        double requestsAtCancel = requests(slow);
        assertThat(requestsAtCancel).isEqualTo(agentSide.requested());

        // the agent goes on with other work: a later preheat runs to its end while the cancelled one stays still
        HttpResponse<String> next = send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["slow-host"], "scope": "all"}""".formatted(smallId), "orchestrator");
        assertThat(next.statusCode()).as(next.body()).isEqualTo(201);
        UUID nextId = UUID.fromString(json.readTree(next.body()).path("id").asString());
        JsonNode nextDone = host(awaitPreheat(nextId, "DONE"));
        assertThat(nextDone.path("piecesDone").asInt()).isEqualTo(nextDone.path("piecesTotal").asInt());

        assertThat(swarms.find(imageId).orElseThrow().stats().piecesFetched()).isEqualTo(fetchedAtCancel);
        assertThat(preheats.progress(preheatId).orElseThrow().requested()).isEqualTo(agentSide.requested());
        assertThat(requests(slow)).isEqualTo(requestsAtCancel + preheats.progress(nextId).orElseThrow().requested());
        assertThat(host(json.readTree(send("GET", "/api/v1/preheats/" + preheatId, null, "viewer").body()))
                .path("state").asString()).isEqualTo("CANCELLED");
    }

    @Test
    void badRequestsAreProblems() throws Exception {
        Path file = Tools.image(work.resolve("checked.img"), 1024 * 1024, 24);
        UUID imageId = UUID.fromString(client.uploadImage("checked", file).path("id").asString());
        fleet.startAgent("checked-host", Map.of());
        client.awaitHostUp("checked-host", T);

        assertProblem(send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["checked-host"], "scope": "everything"}""".formatted(imageId),
                "orchestrator"), 400, "invalid-scope");
        assertProblem(send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["checked-host"]}""".formatted(UUID.randomUUID()), "orchestrator"),
                404, "unknown-image");
        assertProblem(send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["nobody-here"]}""".formatted(imageId), "orchestrator"),
                404, "unknown-host");
        assertProblem(send("GET", "/api/v1/preheats/" + UUID.randomUUID(), null, "viewer"), 404, "unknown-preheat");
        HttpResponse<String> viewer = send("POST", "/api/v1/preheats", """
                {"imageId": "%s", "hosts": ["checked-host"]}""".formatted(imageId), "viewer");
        assertThat(viewer.statusCode()).as(viewer.body()).isEqualTo(403);
    }

    private void assertProblem(HttpResponse<String> r, int status, String type) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(c -> assertThat(c)
                .startsWith("application/problem+json"));
        assertThat(json.readTree(r.body()).path("type").asString()).isEqualTo("urn:bootswarm:problem:" + type);
    }

    /** Reads each profile piece of the launch's disk over NBD, checks its bytes, and returns the disk's misses. */
    private int readProfileOverNbd(LocalFleet.Agent agent, UUID launchId, List<Integer> profile, Path original)
            throws Exception {
        JsonNode disk = client.disk(agent.apiUrl(), launchId);
        URI nbd = URI.create(disk.path("nbdUri").asString());
        try (NbdSession s = NbdSession.open(nbd.getHost(), nbd.getPort(), nbd.getPath().substring(1), T);
             RandomAccessFile f = new RandomAccessFile(original.toFile(), "r")) {
            for (int piece : profile) {
                byte[] expected = new byte[PIECE];
                f.seek((long) piece * PIECE);
                f.readFully(expected);
                assertThat(s.read((long) piece * PIECE, PIECE)).as("piece " + piece).isEqualTo(expected);
            }
        }
        return client.disk(agent.apiUrl(), launchId).path("demandMisses").asInt();
    }

    private void uploadProfile(UUID imageId, String workload, List<Integer> pieces) throws Exception {
        StringBuilder csv = new StringBuilder("time_s,op,offset,length\n");
        for (int i = 0; i < pieces.size(); i++) {
            csv.append(String.format(java.util.Locale.ROOT, "%.6f,READ,%d,4096%n", i * 0.01,
                    (long) pieces.get(i) * PIECE));
        }
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(fleet.profileUrl() + "/api/v1/profiles/"
                        + imageId + "/" + workload + "/traces"))
                .header("Authorization", "Bearer " + fleet.auth().token("admin"))
                .header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofString(csv.toString())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }

    private static double requests(LocalFleet.Agent agent) {
        return agent.context().getBean(MeterRegistry.class).get("bootswarm.agent.preheat.requests").counter().count();
    }

    private static JsonNode host(JsonNode preheat) {
        return preheat.path("hosts").get(0);
    }

    private static String state(JsonNode preheat) {
        return host(preheat).path("state").asString();
    }

    private JsonNode awaitPreheat(UUID id, String state) throws Exception {
        return awaitPreheat(id, p -> state.equals(state(p)), state);
    }

    private JsonNode awaitPreheat(UUID id, Predicate<JsonNode> condition, String what) throws Exception {
        JsonNode[] last = new JsonNode[1];
        FleetClient.await(() -> {
            last[0] = json.readTree(send("GET", "/api/v1/preheats/" + id, null, "viewer").body());
            if ("FAILED".equals(state(last[0]))) {
                throw new AssertionError("preheat failed: " + last[0]);
            }
            return condition.test(last[0]);
        }, T, "preheat " + id + " " + what);
        return last[0];
    }

    private HttpResponse<String> send(String method, String path, String body, String role)
            throws java.io.IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(fleet.trackerUrl() + path))
                .header("Authorization", "Bearer " + fleet.auth().token(role));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        return http.send(b.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
