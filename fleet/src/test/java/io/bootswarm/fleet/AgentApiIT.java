package io.bootswarm.fleet;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The node agent's local launch API: a disk made by a host-local caller reads as the image, and
 * every bad request gets an RFC 9457 problem body and leaves the host's disks as they were.
 */
class AgentApiIT extends FleetITSupport {

    static LocalFleet.Agent agent;
    static final HttpClient http = HttpClient.newHttpClient();
    static final JsonMapper json = JsonMapper.builder().build();

    @BeforeAll
    static void startAgent() {
        agent = fleet.startAgent("api-host", Map.of());
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return sendAs(fleet.auth().token(LocalFleet.OPERATOR), method, path, body);
    }

    /** A request with {@code token} as its bearer token, or none when it is null. */
    static HttpResponse<String> sendAs(String token, String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(agent.apiUrl() + path))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static int diskDirectories() throws Exception {
        Path disks = agent.dataDirectory().resolve("disks");
        if (!Files.exists(disks)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(disks)) {
            return (int) s.count();
        }
    }

    @Test
    void aLocalCallerGetsADiskThatReadsAsTheImageAndCanTearItDown() throws Exception {
        Path original = Tools.image(work.resolve("local.img"), 8L * 1024 * 1024, 9);
        UUID imageId = UUID.fromString(client.uploadImage("local-image", original).path("id").asString());

        HttpResponse<String> created = send("POST", "/api/v1/disks", "{\"imageId\":\"" + imageId + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode disk = json.readTree(created.body());
        String id = disk.path("id").asString();
        assertThat(created.headers().firstValue("Location")).hasValue("/api/v1/disks/" + id);
        assertThat(disk.path("size").asLong()).isEqualTo(Files.size(original));
        assertThat(disk.path("piecesPresent").asInt()).isZero();

        Path copy = work.resolve("local-copy.img");
        Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", disk.path("nbdUri").asString(),
                copy.toString());
        assertThat(Tools.sha256(copy)).isEqualTo(Tools.sha256(original));
        JsonNode progress = json.readTree(send("GET", "/api/v1/disks/" + id, null).body());
        assertThat(progress.path("piecesPresent").asInt()).isEqualTo(progress.path("piecesTotal").asInt());
        assertThat(json.readTree(send("GET", "/api/v1/disks", null).body()).valueStream()
                .map(d -> d.path("id").asString())).contains(id);

        assertThat(send("DELETE", "/api/v1/disks/" + id, null).statusCode()).isEqualTo(204);
        assertThat(send("GET", "/api/v1/disks/" + id, null).statusCode()).isEqualTo(404);
        assertThat(Tools.run(T, "nbdinfo", "--size", disk.path("nbdUri").asString()).exit()).isNotZero();
    }

    @Test
    void theAgentsEndpointByRoleMatrixFromItsOpenApiDocumentHolds() {
        io.bootswarm.infra.auth.AccessMatrix.Result result =
                new io.bootswarm.infra.auth.AccessMatrix(fleet.auth()).run(agent.apiUrl());

        assertThat(result.unruled()).as("operations without an access rule").isEmpty();
        assertThat(result.wrong()).as("calls whose status does not fit the rule").isEmpty();
        assertThat(result.operations()).contains("POST /api/v1/disks", "GET /api/v1/disks",
                "GET /api/v1/disks/{id}", "POST /api/v1/disks/{id}/trace", "DELETE /api/v1/disks/{id}");
    }

    @Test
    void noOneDeletesAHostsDiskWithoutAnOrchestratorsTokenNotEvenAnotherHostsAgent() throws Exception {
        Path original = Tools.image(work.resolve("guarded.img"), 2L * 1024 * 1024, 11);
        UUID imageId = UUID.fromString(client.uploadImage("guarded-image", original).path("id").asString());
        HttpResponse<String> created = send("POST", "/api/v1/disks", "{\"imageId\":\"" + imageId + "\"}");
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode disk = json.readTree(created.body());
        String id = disk.path("id").asString();

        HttpResponse<String> anonymous = sendAs(null, "DELETE", "/api/v1/disks/" + id, null);
        HttpResponse<String> otherAgent = sendAs(fleet.auth().hostToken("other-host"), "DELETE", "/api/v1/disks/" + id, null);
        HttpResponse<String> viewer = sendAs(fleet.auth().token("viewer"), "DELETE", "/api/v1/disks/" + id, null);
        HttpResponse<String> forged = sendAs("eyJhbGciOiJub25lIn0.eyJyb2xlcyI6WyJhZG1pbiJdfQ.", "DELETE",
                "/api/v1/disks/" + id, null);

        assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));
        assertThat(json.readTree(anonymous.body()).path("type").asString()).isEqualTo("urn:bootswarm:problem:unauthorized");
        assertThat(otherAgent.statusCode()).as(otherAgent.body()).isEqualTo(403);
        assertThat(json.readTree(otherAgent.body()).path("type").asString()).isEqualTo("urn:bootswarm:problem:forbidden");
        assertThat(viewer.statusCode()).isEqualTo(403);
        assertThat(forged.statusCode()).as("an unsigned token").isEqualTo(401);
        assertThat(send("GET", "/api/v1/disks/" + id, null).statusCode()).isEqualTo(200);
        Path copy = work.resolve("guarded-copy.img");
        Tools.ok(T, "qemu-img", "convert", "-f", "raw", "-O", "raw", disk.path("nbdUri").asString(), copy.toString());
        assertThat(Tools.sha256(copy)).isEqualTo(Tools.sha256(original));
        assertThat(send("DELETE", "/api/v1/disks/" + id, null).statusCode()).isEqualTo(204);
    }

    @Test
    void theAgentIsPinnedToTheSeedsPublishedManifestKeyAndKeepsEachManifestsSignature() throws Exception {
        Path original = Tools.image(work.resolve("pinned.img"), 1024 * 1024, 4);
        UUID imageId = UUID.fromString(client.uploadImage("pinned-image", original).path("id").asString());
        HttpResponse<String> keys = http.send(HttpRequest.newBuilder(URI.create(fleet.seedUrl() + "/api/v1/manifest-keys"))
                .header("Authorization", "Bearer " + fleet.auth().token("viewer")).build(), HttpResponse.BodyHandlers.ofString());

        HttpResponse<String> created = send("POST", "/api/v1/disks", "{\"imageId\":\"" + imageId + "\"}");

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        assertThat(agent.context().getEnvironment().getProperty("bootswarm.agent.manifest-keys"))
                .isEqualTo(json.readTree(keys.body()).get(0).get("publicKey").asString());
        Path manifests = agent.dataDirectory().resolve("manifests");
        assertThat(manifests.resolve(imageId + ".sig")).exists();
        assertThat(manifests.resolve("trusted-keys.json")).as("no trust on first use: the key is configured")
                .doesNotExist();
        assertThat(send("DELETE", "/api/v1/disks/" + json.readTree(created.body()).path("id").asString(), null)
                .statusCode()).isEqualTo(204);
    }

    @Test
    void badRequestsGetProblemBodiesAndCreateNothing() throws Exception {
        int before = diskDirectories();
        record Case(String method, String path, String body, int status, String type) {
        }
        for (Case c : new Case[]{
                new Case("POST", "/api/v1/disks", "{not json", 400, null),
                new Case("POST", "/api/v1/disks", "{}", 400, null),
                new Case("POST", "/api/v1/disks", "{\"imageId\":\"not-a-uuid\"}", 400, null),
                new Case("POST", "/api/v1/disks", "{\"imageId\":\"" + UUID.randomUUID() + "\"}", 404,
                        "urn:bootswarm:problem:unknown-image"),
                new Case("GET", "/api/v1/disks/" + UUID.randomUUID(), null, 404, "urn:bootswarm:problem:unknown-disk"),
                new Case("GET", "/api/v1/disks/not-a-uuid", null, 400, null),
                new Case("DELETE", "/api/v1/disks/" + UUID.randomUUID(), null, 404,
                        "urn:bootswarm:problem:unknown-disk"),
        }) {
            HttpResponse<String> r = send(c.method(), c.path(), c.body());
            assertThat(r.statusCode()).as(c + " -> " + r.body()).isEqualTo(c.status());
            assertThat(r.headers().firstValue("Content-Type")).as(c.toString()).hasValueSatisfying(
                    t -> assertThat(t).startsWith("application/problem+json"));
            JsonNode p = json.readTree(r.body());
            assertThat(p.path("status").asInt()).isEqualTo(c.status());
            assertThat(p.path("detail").asString()).as(c.toString()).isNotBlank();
            if (c.type() != null) {
                assertThat(p.path("type").asString()).isEqualTo(c.type());
            }
        }
        assertThat(diskDirectories()).isEqualTo(before);
    }

    @Test
    void withProfileServiceDownALaunchRunsInDemandModeWithoutDelay() throws Exception {
        Path original = Tools.image(work.resolve("no-profile.img"), 6L * 1024 * 1024, 10);
        UUID imageId = UUID.fromString(client.uploadImage("no-profile-image", original).path("id").asString());
        // profile-service "down" as the worst kind: it accepts the connection and never answers. The disk
        // must not wait for it: it is created while the profile request is still open and unanswered.
        try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            AtomicInteger asked = new AtomicInteger();
            AtomicInteger givenUp = new AtomicInteger();
            Thread.ofVirtual().start(() -> {
                while (!silent.isClosed()) {
                    try {
                        Socket s = silent.accept();
                        asked.incrementAndGet();
                        Thread.ofVirtual().start(() -> {
                            try (s; InputStream in = s.getInputStream()) {
                                while (in.read() >= 0) {
                                    // the request, never answered
                                }
                                givenUp.incrementAndGet();
                            } catch (IOException e) {
                                givenUp.incrementAndGet();
                            }
                        });
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            LocalFleet.Agent cut = fleet.startAgent("cut-host",
                    Map.of("bootswarm.agent.profile-url", "http://127.0.0.1:" + silent.getLocalPort()));
            JsonNode disk = client.createDisk(cut.apiUrl(), imageId, Map.of("workload", "boot", "policy", "PROFILE"));
            assertThat(givenUp.get()).as("the disk was created before the agent gave up on profile-service")
                    .isZero();
            await().atMost(Duration.ofSeconds(30)).until(() -> asked.get() >= 1);
            Path copy = work.resolve("no-profile-copy.img");
            Tools.ok(FleetIT.T, "qemu-img", "convert", "-f", "raw", "-O", "raw", disk.path("nbdUri").asString(),
                    copy.toString());
            assertThat(Tools.sha256(copy)).isEqualTo(Tools.sha256(original));
            JsonNode after = client.disk(cut.apiUrl(), UUID.fromString(disk.path("id").asString()));
            assertThat(after.hasNonNull("profileRuns")).as("no profile: demand mode").isFalse();
            assertThat(after.path("prefetched").asLong()).isZero();
            assertThat(after.path("demandMisses").asInt()).isPositive();
            cut.close();
        }
    }
}
