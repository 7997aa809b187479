package io.bootswarm.seed.imports;

import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.seed.SeedTestSupport;
import io.bootswarm.testing.RawHttp;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.catalog.Catalog;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.support.TransactionTemplate;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every kind of bad input gets its status and an RFC 9457 body, and leaves the catalog (image rows)
 * and the storage directory as they were. Rejections decided before any byte is read also leave no
 * import record; failures found while reading leave exactly one FAILED import record.
 */
class BadInputIT extends SeedApiItBase {

    private static final int PIECE = 256 * 1024;

    @Autowired
    private Catalog catalog;
    @Autowired
    private TransactionTemplate tx;

    private String existing;
    private CatalogState before;

    @BeforeEach
    void anImageExists() {
        existing = "it-existing-" + UUID.randomUUID().toString().substring(0, 8);
        assertThat(api.upload(existing, randomBytes(PIECE + 1, 1)).statusCode()).isEqualTo(201);
        before = catalogState();
    }

    @ParameterizedTest
    @ValueSource(strings = {"Upper", "-leading-dash", ".leading-dot", "_leading", "has space", "slash/inside",
            "ümlaut", "semi;colon", ""})
    void badNameIsRejectedBeforeTheBodyIsRead(String name) {
        HttpResponse<String> r = api.upload(name, randomBytes(1000, 2));
        assertProblem(r, 400, "urn:bootswarm:problem:bad-image-name");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void tooLongNameIsRejected() {
        String name = "a".repeat(129);
        assertProblem(api.upload(name, randomBytes(1000, 2)), 400, "urn:bootswarm:problem:bad-image-name");
        assertThat(catalogState()).isEqualTo(before);
        // 128 characters is fine
        assertThat(api.upload("b".repeat(128), randomBytes(1000, 2)).statusCode()).isEqualTo(201);
    }

    @Test
    void missingNameIsRejected() {
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/images"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(randomBytes(100, 3))));
        assertProblem(r, 400, "urn:bootswarm:problem:missing-parameter");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void uploadThatIsNotOctetStreamIsRejected() {
        HttpResponse<String> r = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/images?name=x1"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("a=b")));
        assertProblem(r, 415, "urn:bootswarm:problem:unsupported-media-type");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void emptyUploadIsRejected() {
        assertProblem(api.upload("empty-one", new byte[0]), 400, "urn:bootswarm:problem:empty-image");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void emptyChunkedUploadIsRejectedAndLeavesAFailedImport() throws IOException {
        try (RawHttp up = SeedTestSupport.rawUpload(port, "empty-chunked", "Transfer-Encoding: chunked")) {
            up.chunk(new byte[0]);
            RawHttp.Response r = up.readResponse(Duration.ofSeconds(30));
            assertProblem(r, 400, "urn:bootswarm:problem:empty-image");
        }
        assertFailedImportOnly("empty-chunked", "no bytes");
    }

    @Test
    void declaredOversizeUploadIsRejectedWithoutReadingTheBody() throws IOException {
        try (RawHttp up = SeedTestSupport.rawUpload(port, "too-big-declared", "Content-Length: " + (MAX_IMAGE_SIZE + 1))) {
            // Nothing of the body is sent: the answer must come from the headers alone.
            RawHttp.Response r = up.readResponse(Duration.ofSeconds(30));
            assertProblem(r, 413, "urn:bootswarm:problem:image-too-large");
            assertThat(json(r.body()).get("limit").asLong()).isEqualTo(MAX_IMAGE_SIZE);
        }
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void streamedOversizeUploadIsCutOffPromptly() throws Exception {
        AtomicLong sent = new AtomicLong();
        try (RawHttp up = SeedTestSupport.rawUpload(port, "too-big-streamed", "Transfer-Encoding: chunked")) {
            Thread writer = Thread.ofVirtual().start(() -> {
                byte[] chunk = randomBytes(64 * 1024, 4);
                try {
                    while (sent.get() < 4L * MAX_IMAGE_SIZE) {  // "endless": far beyond the limit
                        up.chunk(chunk);
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException e) {
                    // the seed stopped reading and closed the connection
                }
            });
            RawHttp.Response r = up.readResponse(Duration.ofSeconds(60));
            assertProblem(r, 413, "urn:bootswarm:problem:image-too-large");
            writer.join(Duration.ofSeconds(30));
            assertThat(writer.isAlive()).as("the seed closed the connection").isFalse();
            // It read the limit plus a piece, drained at most Tomcat's max-swallow-size, and closed:
            // what the client got into socket buffers beyond that is small.
            assertThat(sent.get()).isLessThan(MAX_IMAGE_SIZE + 32L * 1024 * 1024);
        }
        assertFailedImportOnly("too-big-streamed", "larger than the limit");
    }

    @Test
    void duplicateNameIsRejectedBeforeTheBodyIsRead() throws IOException {
        Files.write(STORAGE.resolve("import").resolve("dup.raw"), randomBytes(100, 9));
        assertProblem(api.upload(existing, randomBytes(5000, 5)), 409, "urn:bootswarm:problem:image-name-taken");
        assertThat(catalogState()).isEqualTo(before);
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"" + existing + "\",\"path\":\"dup.raw\"}"),
                409, "urn:bootswarm:problem:image-name-taken");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void nameTakenWhileUploadingIsRejectedAtCommitAndLeavesNoFile() throws Exception {
        String name = "it-race-" + UUID.randomUUID().toString().substring(0, 8);
        byte[] body = randomBytes(4 * PIECE, 6);
        try (RawHttp up = SeedTestSupport.rawUpload(port, name, "Content-Length: " + body.length)) {
            up.write(java.util.Arrays.copyOfRange(body, 0, 2 * PIECE));
            // While it streams, the upload shows as a RUNNING import with its progress.
            JsonNode running = awaitRunningImport(name, 2L * PIECE);
            assertThat(running.get("kind").asString()).isEqualTo("UPLOAD");
            assertThat(running.get("bytesTotal").asLong()).isEqualTo(body.length);
            assertThat(files(STORAGE.resolve("tmp"))).hasSize(1);
            // Meanwhile the name is catalogued behind the seed's back (as a second instance sharing the
            // catalog would): only the unique constraint can catch it.
            PieceSplitter.Split other = new PieceSplitter(PIECE, Long.MAX_VALUE)
                    .split(new ByteArrayInputStream(randomBytes(100, 7)), null, null);
            UUID otherId = UUID.randomUUID();
            tx.executeWithoutResult(s -> catalog.add(otherId, name, other, "images/" + otherId + ".img"));

            up.write(java.util.Arrays.copyOfRange(body, 2 * PIECE, body.length));
            RawHttp.Response r = up.readResponse(Duration.ofSeconds(30));
            assertProblem(r, 409, "urn:bootswarm:problem:image-name-taken");
        }
        CatalogState after = catalogState();
        assertThat(after.images()).isEqualTo(before.images() + 1);          // only the other one
        assertThat(after.imageFiles()).isEqualTo(before.imageFiles());      // the upload's file is gone
        assertThat(after.tmpFiles()).isEmpty();
        assertThat(after.imports()).isEqualTo(before.imports() + 1);
        JsonNode failed = importNamed(name);
        assertThat(failed.get("state").asString()).isEqualTo("FAILED");
        assertThat(failed.get("error").asString()).contains("catalogued meanwhile");
        assertThat(failed.get("imageId").isNull()).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "../seed-id", "a/../../seed-id", "nested/../../images", "..", "", "   "})
    void badImportPathIsRejected(String path) {
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"path-bad\",\"path\":\"" + path + "\"}"), 400,
                "urn:bootswarm:problem:bad-import-path");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void importPathLeadingOutThroughASymlinkIsRejected() throws IOException {
        Path outside = Files.writeString(STORAGE.resolve("outside.raw"), "secret bytes");
        Path link = STORAGE.resolve("import").resolve("escape-" + UUID.randomUUID() + ".raw");
        Files.createSymbolicLink(link, outside);
        try {
            assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"path-link\",\"path\":\""
                    + link.getFileName() + "\"}"), 400, "urn:bootswarm:problem:bad-import-path");
            assertThat(catalogState()).isEqualTo(before);
        } finally {
            Files.delete(link);
            Files.delete(outside);
        }
    }

    @Test
    void missingImportFileIsRejected() {
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"path-missing\",\"path\":\"no/such/file.raw\"}"),
                400, "urn:bootswarm:problem:import-file-not-found");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void importPathThatIsNotARegularFileIsRejected() throws IOException {
        Files.createDirectories(STORAGE.resolve("import").resolve("a-directory"));
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"path-dir\",\"path\":\"a-directory\"}"),
                400, "urn:bootswarm:problem:import-file-not-regular");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void emptyAndOversizeImportFilesAreRejected() throws IOException {
        Files.write(STORAGE.resolve("import").resolve("empty.raw"), new byte[0]);
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"path-empty\",\"path\":\"empty.raw\"}"),
                400, "urn:bootswarm:problem:empty-image");
        try (RandomAccessFile sparse = new RandomAccessFile(STORAGE.resolve("import").resolve("huge.raw").toFile(),
                "rw")) {
            sparse.setLength(MAX_IMAGE_SIZE + 1);
        }
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"path-huge\",\"path\":\"huge.raw\"}"),
                413, "urn:bootswarm:problem:image-too-large");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void badImportNameIsRejected() throws IOException {
        Files.write(STORAGE.resolve("import").resolve("fine.raw"), randomBytes(100, 8));
        assertProblem(api.postJson("/api/v1/imports", "{\"name\":\"Not OK\",\"path\":\"fine.raw\"}"),
                400, "urn:bootswarm:problem:bad-image-name");
        assertProblem(api.postJson("/api/v1/imports", "{\"path\":\"fine.raw\"}"),
                400, "urn:bootswarm:problem:bad-image-name");
        assertThat(catalogState()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"{\"name\": \"x\", ", "not json", "[1,2]", "{\"name\": 12, \"path\": {}}"})
    void malformedJsonIsRejected(String body) {
        assertProblem(api.postJson("/api/v1/imports", body), 400, "urn:bootswarm:problem:malformed-body");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void unknownIdsAreNotFound() {
        UUID unknown = UUID.randomUUID();
        assertProblem(api.get("/api/v1/images/" + unknown), 404, "urn:bootswarm:problem:image-not-found");
        assertProblem(api.get("/api/v1/images/" + unknown + "/manifest"), 404, "urn:bootswarm:problem:image-not-found");
        assertProblem(api.delete("/api/v1/images/" + unknown), 404, "urn:bootswarm:problem:image-not-found");
        assertProblem(api.get("/api/v1/imports/" + unknown), 404, "urn:bootswarm:problem:import-not-found");
        assertThat(catalogState()).isEqualTo(before);
    }

    @ParameterizedTest
    @ValueSource(strings = {"/api/v1/images/not-a-uuid", "/api/v1/images/1234/manifest", "/api/v1/imports/zzz"})
    void malformedIdsAreBadRequests(String path) {
        assertProblem(api.get(path), 400, "urn:bootswarm:problem:bad-parameter");
        assertThat(catalogState()).isEqualTo(before);
    }

    @Test
    void malformedIdOnDeleteIsABadRequest() {
        assertProblem(api.delete("/api/v1/images/not-a-uuid"), 400, "urn:bootswarm:problem:bad-parameter");
        assertThat(catalogState()).isEqualTo(before);
    }

    // ---------------------------------------------------------------------------------------------

    private void assertFailedImportOnly(String name, String errorContains) {
        CatalogState after = catalogState();
        assertThat(after.images()).isEqualTo(before.images());
        assertThat(after.imageFiles()).isEqualTo(before.imageFiles());
        assertThat(after.tmpFiles()).isEmpty();
        assertThat(after.imports()).isEqualTo(before.imports() + 1);
        JsonNode failed = importNamed(name);
        assertThat(failed.get("state").asString()).isEqualTo("FAILED");
        assertThat(failed.get("error").asString()).contains(errorContains);
        assertThat(failed.get("imageId").isNull()).isTrue();
        assertThat(failed.get("finishedAt").isNull()).isFalse();
    }

    private JsonNode importNamed(String name) {
        for (JsonNode i : json(api.get("/api/v1/imports"))) {
            if (i.get("name").asString().equals(name)) {
                return i;
            }
        }
        throw new AssertionError("no import of " + name);
    }

    private JsonNode awaitRunningImport(String name, long bytes) {
        return await("a RUNNING import of " + name + " at " + bytes + " bytes").atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(20)).until(() -> {
                    for (JsonNode i : json(api.get("/api/v1/imports"))) {
                        if (i.get("name").asString().equals(name) && i.get("state").asString().equals("RUNNING")
                                && i.get("bytesDone").asLong() == bytes) {
                            return java.util.Optional.of(i);
                        }
                    }
                    return java.util.Optional.<JsonNode>empty();
                }, java.util.Optional::isPresent).orElseThrow();
    }

    static void assertProblem(HttpResponse<String> r, int status, String type) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(
                ct -> assertThat(ct).startsWith("application/problem+json"));
        assertProblemBody(r.body(), status, type);
    }

    static void assertProblem(RawHttp.Response r, int status, String type) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.header("Content-Type")).startsWith("application/problem+json");
        assertProblemBody(r.body(), status, type);
    }

    private static void assertProblemBody(String body, int status, String type) {
        JsonNode p = json(body);
        assertThat(p.get("status").asInt()).isEqualTo(status);
        assertThat(p.get("type")).as("type in " + body).isNotNull();
        assertThat(p.get("type").asString()).isEqualTo(type);
        assertThat(p.get("title").asString()).as("title in " + body).isNotBlank();
        assertThat(p.get("detail").asString()).as("detail in " + body).isNotBlank();
    }

    private static byte[] randomBytes(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
