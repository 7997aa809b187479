package io.bootswarm.tracker.launch;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Every rejected launch request answers its problem and writes no launch, host row or outbox event. */
class LaunchValidationIT extends TrackerITSupport {

    private String up;
    private UUID image;
    private Map<String, Long> before;

    @BeforeEach
    void hostAndImage() {
        up = hostName("vup");
        registerHost(up);
        image = SEED.addImage("valid", 1 << 20);
        before = launchRows();
    }

    private Response launch(String json, String... headers) {
        return post("/api/v1/launches", json, headers);
    }

    private void assertNothingCreated() {
        assertThat(launchRows()).isEqualTo(before);
    }

    @Test
    void unknownImageIsNotFound() {
        UUID missing = UUID.randomUUID();
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(missing, up));
        assertProblem(r, 404, "unknown-image");
        assertThat(r.<String>json("$.imageId")).isEqualTo(missing.toString());
        assertThat(r.<String>json("$.detail")).contains(missing.toString());
        assertThat(SEED.requests(missing)).isEqualTo(1); // a 404 is an answer, not retried
        assertNothingCreated();
    }

    @Test
    void unknownHostsAreNotFoundAndNamed() {
        String ghost1 = hostName("ghost");
        String ghost2 = hostName("ghost");
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s", "%s", "%s"]}""".formatted(image, ghost1, up, ghost2));
        assertProblem(r, 404, "unknown-host");
        assertThat(r.<List<String>>json("$.hosts")).containsExactly(ghost1, ghost2);
        assertThat(r.<String>json("$.detail")).contains(ghost1, ghost2).doesNotContain(up);
        assertThat(SEED.requests(image)).isZero(); // rejected before asking seed-service
        assertNothingCreated();
    }

    @Test
    void downHostIsAConflictAndNamed() {
        String down = hostName("vdown");
        registerHost(down);
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> "DOWN".equals(get("/api/v1/hosts/" + down).json("$.state")));
        post("/api/v1/hosts/" + up + "/heartbeat", "");
        before = launchRows();

        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s", "%s"]}""".formatted(image, up, down));
        assertProblem(r, 409, "host-down");
        assertThat(r.<List<String>>json("$.hosts")).containsExactly(down);
        assertNothingCreated();
    }

    @Test
    void malformedJsonIsABadRequest() {
        assertProblem(launch("{\"imageId\": \"%s\", \"hosts\": [".formatted(image)), 400, "malformed-body");
        assertProblem(launch("not json at all"), 400, "malformed-body");
        assertProblem(launch(""), 400, "malformed-body");
        assertProblem(launch("""
                {"imageId": "%s", "hosts": "%s"}""".formatted(image, up)), 400, "malformed-body");
        Response wrongType = send(HttpRequest.newBuilder(uri("/api/v1/launches")).header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(wrongType.status()).isEqualTo(415);
        assertThat(wrongType.header("Content-Type")).startsWith("application/problem+json");
        assertNothingCreated();
    }

    /** A valid launch request padded with blanks to {@code size} bytes. */
    private String padded(int size) {
        String json = """
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(image, up);
        return json.substring(0, json.length() - 1) + " ".repeat(size - json.length()) + "}";
    }

    @Test
    void jsonBodiesOverOneMebibyteAre413ProblemsWhetherDeclaredOrChunked() {
        String over = padded((1 << 20) + 1);

        Response declared = launch(over);
        Response chunked = send(HttpRequest.newBuilder(uri("/api/v1/launches")).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                        over.getBytes(java.nio.charset.StandardCharsets.US_ASCII)))).build());

        assertProblem(declared, 413, "body-too-large");
        assertProblem(chunked, 413, "body-too-large");
        assertNothingCreated();
        Response atTheLimit = launch(padded(1 << 20));
        assertThat(atTheLimit.status()).as(atTheLimit.body()).isEqualTo(201);
    }

    @Test
    void badImageUuidIsABadRequest() {
        Response r = launch("""
                {"imageId": "not-a-uuid", "hosts": ["%s"]}""".formatted(up));
        assertProblem(r, 400, "malformed-body");
        assertThat(r.<String>json("$.detail")).contains("imageId");
        assertNothingCreated();
    }

    @Test
    void missingOrEmptyFieldsAreBadRequests() {
        assertInvalid(launch("""
                {"imageId": "%s", "hosts": []}""".formatted(image)), "hosts");
        assertInvalid(launch("""
                {"imageId": "%s"}""".formatted(image)), "hosts");
        assertInvalid(launch("""
                {"hosts": ["%s"]}""".formatted(up)), "imageId");
        assertInvalid(launch("""
                {"imageId": "%s", "hosts": [null]}""".formatted(image)), "hosts[0]");
        assertInvalid(launch("""
                {"imageId": "%s", "hosts": ["%s", "Bad_Name"]}""".formatted(image, up)), "hosts[1]");
        assertInvalid(launch("{}"), "hosts");
        assertNothingCreated();
    }

    @Test
    void badLaunchOptionsAreBadRequests() {
        assertInvalid(launch("""
                {"imageId": "%s", "hosts": ["%s"], "options": {"window": 0}}""".formatted(image, up)), "options.window");
        assertInvalid(launch("""
                {"imageId": "%s", "hosts": ["%s"], "options": {"workload": "Not A Name"}}""".formatted(image, up)),
                "options.workload");
        assertProblem(launch("""
                {"imageId": "%s", "hosts": ["%s"], "options": {"policy": "FASTEST"}}""".formatted(image, up)), 400,
                "malformed-body");
        assertNothingCreated();
    }

    private static void assertInvalid(Response r, String field) {
        assertProblem(r, 400, "invalid-request");
        assertThat(r.<List<String>>json("$.errors[*].field")).contains(field);
    }

    @Test
    void duplicateHostsAreABadRequest() {
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s", "%s"]}""".formatted(image, up, up));
        assertProblem(r, 400, "duplicate-hosts");
        assertThat(r.<List<String>>json("$.hosts")).containsExactly(up);
        assertNothingCreated();
    }

    @Test
    void failingSeedServiceIsUnavailableAfterRetries() {
        UUID failing = SEED.addFailingImage();
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(failing, up));
        assertProblem(r, 503, "seed-unavailable");
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(r.<String>json("$.detail")).contains("500");
        assertThat(SEED.requests(failing)).isEqualTo(3); // resilience4j retry: 3 attempts
        assertNothingCreated();
    }

    @Test
    void slowSeedServiceTimesOut() {
        UUID slow = SEED.addSlowImage();
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(slow, up));
        assertProblem(r, 503, "seed-unavailable");
        assertThat(r.<String>json("$.detail")).contains("did not answer within 500 ms");
        // three attempts of 500 ms each, given up before the stand-in's first (5 s) answer
        assertThat(SEED.requests(slow)).isEqualTo(3);
        assertThat(SEED.slowAnswered(slow)).isZero();
        assertNothingCreated();
    }

    @Test
    void badIdempotencyKeyIsABadRequest() {
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(image, up), "Idempotency-Key", "k".repeat(256));
        assertProblem(r, 400, "bad-idempotency-key");
        assertNothingCreated();
    }

    @Test
    void unknownOrMalformedLaunchIdsAreProblems() {
        UUID missing = UUID.randomUUID();
        Response notFound = get("/api/v1/launches/" + missing);
        assertProblem(notFound, 404, "unknown-launch");
        assertThat(notFound.<String>json("$.launchId")).isEqualTo(missing.toString());
        Response bad = get("/api/v1/launches/not-a-uuid");
        assertProblem(bad, 400, "bad-parameter");
        assertThat(bad.<String>json("$.detail")).contains("id", "not-a-uuid");
        assertProblem(delete("/api/v1/launches/not-a-uuid"), 400, "bad-parameter");
        assertNothingCreated();
    }

    @Test
    void aValidRequestAfterAllThatStillWorks() {
        Response r = launch("""
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(image, up));
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(launchRows()).isEqualTo(Map.of("launches", before.get("launches") + 1,
                "launch_hosts", before.get("launch_hosts") + 1, "outbox", before.get("outbox") + 1));
    }
}
