package io.bootswarm.seed.catalog;

import io.bootswarm.common.events.BootswarmEvent;
import io.bootswarm.common.events.ImageDeleted;
import io.bootswarm.common.events.ImageRegistered;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.seed.ImageEvents;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.TestImages;
import io.bootswarm.seed.TestImages.Zeros;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Upload, manifest, Kafka events, listing, path import with progress, delete: the catalog end to end. */
class CatalogIT extends SeedApiItBase {

    private static final int PIECE = 256 * 1024;

    @Test
    void uploadedImageGetsTheRightManifestFileAndEvent(@TempDir Path tmp) throws Exception {
        long size = 64L * 1024 * 1024 + 12345;
        Path file = TestImages.write(tmp.resolve("image.raw"), size, 42,
                new Zeros(10L * PIECE, 60L * PIECE),               // 50 whole zero pieces
                new Zeros(100L * PIECE + 1000, 110L * PIECE),      // piece 100 partly zero, 101..109 zero
                new Zeros(200L * PIECE, 201L * PIECE - 1));        // piece 200 zero but for its last byte
        TestImages.Expected expected = TestImages.expect(file, PIECE);
        assertThat(expected.pieceCount()).isEqualTo(257);
        assertThat(expected.zeroCount()).isEqualTo(59);
        String name = "it-upload-" + UUID.randomUUID().toString().substring(0, 8);

        Instant before = Instant.now();
        HttpResponse<String> created = api.upload(name, file);

        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode image = json(created);
        UUID id = UUID.fromString(image.get("id").asString());
        assertThat(created.headers().firstValue("Location")).hasValue(api.base() + "/api/v1/images/" + id);
        assertThat(image.get("name").asString()).isEqualTo(name);
        assertThat(image.get("size").asLong()).isEqualTo(size);
        assertThat(image.get("pieceSize").asInt()).isEqualTo(Manifest.DEFAULT_PIECE_SIZE);
        assertThat(image.get("pieceCount").asInt()).isEqualTo(257);
        assertThat(image.get("zeroPieces").asInt()).isEqualTo(59);
        assertThat(image.get("nonZeroBytes").asLong()).isEqualTo(expected.nonZeroBytes()).isEqualTo(size - 59L * PIECE);
        assertThat(image.get("swarmId").asString()).isEqualTo(expected.infoHashHex(name));
        assertThat(image.get("uploadedBytes").asLong()).isZero();
        assertThat(Instant.parse(image.get("createdAt").asString())).isBetween(before.minusSeconds(1), Instant.now());

        HttpResponse<String> manifestResponse = api.get("/api/v1/images/" + id + "/manifest");
        assertThat(manifestResponse.statusCode()).isEqualTo(200);
        JsonNode manifest = json(manifestResponse);
        byte[] hashes = Base64.getDecoder().decode(manifest.get("pieceHashes").asString());
        assertThat(hashes).hasSize(257 * 32);
        for (int i = 0; i < 257; i++) {
            assertThat(Arrays.copyOfRange(hashes, 32 * i, 32 * i + 32)).as("SHA-256 of piece %d", i)
                    .isEqualTo(expected.sha256().get(i));
        }
        byte[] zeroBits = Base64.getDecoder().decode(manifest.get("zeroPieces").asString());
        assertThat(zeroBits).hasSize((257 + 7) / 8);
        for (int i = 0; i < 257; i++) {
            boolean flagged = (zeroBits[i >>> 3] & (0x80 >>> (i & 7))) != 0;
            assertThat(flagged).as("zero flag of piece %d", i).isEqualTo(expected.zero()[i]);
        }
        assertThat(zeroBits[256 >>> 3] & 0x7f).as("spare bits").isZero();
        // What an agent does with it: the shared library parses it into a consistent manifest.
        Manifest parsed = JsonMapper.builder().build().readValue(manifestResponse.body(), ManifestDocument.class)
                .toManifest();
        assertThat(parsed.imageId()).isEqualTo(id);
        assertThat(parsed.size()).isEqualTo(size);
        assertThat(parsed.swarmId().hex()).isEqualTo(expected.infoHashHex(name));
        assertThat(parsed.zeroCount()).isEqualTo(59);

        Path stored = STORAGE.resolve("images").resolve(id + ".img");
        assertThat(TestImages.sha256(stored)).isEqualTo(expected.wholeSha256());
        assertThat(files(STORAGE.resolve("tmp"))).isEmpty();
        assertThat(jdbc.queryForObject("select file_path from image where id = ?", String.class, id))
                .isEqualTo("images/" + id + ".img");

        BootswarmEvent event = ImageEvents.await(e -> e instanceof ImageRegistered r && r.imageId().equals(id),
                Duration.ofSeconds(30)).orElseThrow(() -> new AssertionError("no image-registered event on Kafka"))
                .event();
        ImageRegistered registered = (ImageRegistered) event;
        assertThat(registered.name()).isEqualTo(name);
        assertThat(registered.size()).isEqualTo(size);
        assertThat(registered.pieceSize()).isEqualTo(PIECE);
        assertThat(registered.pieceCount()).isEqualTo(257);
        assertThat(registered.zeroPieces()).isEqualTo(59);
        assertThat(registered.swarmId()).isEqualTo(expected.infoHashHex(name));

        JsonNode byName = json(api.get("/api/v1/images?name=" + name));
        assertThat(byName.size()).isEqualTo(1);
        assertThat(byName.get(0).get("id").asString()).isEqualTo(id.toString());
        assertThat(json(api.get("/api/v1/images?name=no-such-image")).size()).isZero();
        List<String> all = new ArrayList<>();
        json(api.get("/api/v1/images")).forEach(n -> all.add(n.get("name").asString()));
        assertThat(all).contains(name).isSorted();
        assertThat(json(api.get("/api/v1/images/" + id))).isEqualTo(byName.get(0));

        JsonNode upload = findImport(json(api.get("/api/v1/imports")), id);
        assertThat(upload.get("kind").asString()).isEqualTo("UPLOAD");
        assertThat(upload.get("state").asString()).isEqualTo("DONE");
        assertThat(upload.get("name").asString()).isEqualTo(name);
        assertThat(upload.get("bytesDone").asLong()).isEqualTo(size);
        assertThat(upload.get("bytesTotal").asLong()).isEqualTo(size);
        assertThat(upload.get("finishedAt").isNull()).isFalse();
    }

    @Test
    void pathImportShowsProgressAndCompletes() throws Exception {
        // 65 pieces at 64 MB/s on IMPORT_CLOCK: the import reads its burst (3.2 MB, 13 pieces) and holds until the
        // clock moves; each 50 ms the clock moves lets up to a burst more through
        long size = 16L * 1024 * 1024 + 777;
        Path dir = Files.createDirectories(STORAGE.resolve("import").resolve("nested"));
        Path file = TestImages.write(dir.resolve("disk.raw"), size, 7, new Zeros(0, 20L * PIECE));
        TestImages.Expected expected = TestImages.expect(file, PIECE);
        String name = "it-path-" + UUID.randomUUID().toString().substring(0, 8);

        HttpResponse<String> accepted = api.postJson("/api/v1/imports",
                "{\"name\":\"" + name + "\",\"path\":\"nested/disk.raw\"}");

        assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
        JsonNode started = json(accepted);
        String location = accepted.headers().firstValue("Location").orElseThrow();
        assertThat(location).isEqualTo(api.base() + "/api/v1/imports/" + started.get("id").asString());
        assertThat(started.get("state").asString()).isEqualTo("RUNNING");
        assertThat(started.get("kind").asString()).isEqualTo("PATH");
        assertThat(started.get("source").asString()).isEqualTo("nested/disk.raw");
        assertThat(started.get("bytesTotal").asLong()).isEqualTo(size);

        String path = location.substring(api.base().length());
        long held = awaitProgress(path, 0, size);
        IMPORT_CLOCK.advance(Duration.ofMillis(50));
        long heldAgain = awaitProgress(path, held, size);
        JsonNode last = await("the path import").atMost(Duration.ofSeconds(60)).until(() -> {
            IMPORT_CLOCK.advance(Duration.ofMillis(50));
            return json(api.get(path));
        }, now -> !now.get("state").asString().equals("RUNNING"));

        assertThat(last.get("state").asString()).as(last.toString()).isEqualTo("DONE");
        assertThat(last.get("bytesDone").asLong()).isEqualTo(size);
        assertThat(List.of(held, heldAgain, size)).as("progress").doesNotHaveDuplicates().isSorted();
        UUID imageId = UUID.fromString(last.get("imageId").asString());
        JsonNode image = json(api.get("/api/v1/images/" + imageId));
        assertThat(image.get("name").asString()).isEqualTo(name);
        assertThat(image.get("zeroPieces").asInt()).isEqualTo(expected.zeroCount()).isEqualTo(20);
        assertThat(image.get("swarmId").asString()).isEqualTo(expected.infoHashHex(name));
        byte[] hashes = Base64.getDecoder().decode(json(api.get("/api/v1/images/" + imageId + "/manifest"))
                .get("pieceHashes").asString());
        for (int i = 0; i < expected.pieceCount(); i++) {
            assertThat(Arrays.copyOfRange(hashes, 32 * i, 32 * i + 32)).as("piece %d", i)
                    .isEqualTo(expected.sha256().get(i));
        }
        assertThat(TestImages.sha256(STORAGE.resolve("images").resolve(imageId + ".img")))
                .isEqualTo(expected.wholeSha256());
        assertThat(file).exists();   // the source is copied, not moved
        assertThat(files(STORAGE.resolve("tmp"))).isEmpty();
    }

    @Test
    void deleteRemovesRowFileAndAnnouncesIt() throws Exception {
        byte[] bytes = new byte[3 * PIECE + 5];
        new java.util.Random(3).nextBytes(bytes);
        String name = "it-delete-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> created = api.upload(name, bytes);
        assertThat(created.statusCode()).isEqualTo(201);
        UUID id = UUID.fromString(json(created).get("id").asString());
        Path file = STORAGE.resolve("images").resolve(id + ".img");
        assertThat(file).exists();

        HttpResponse<String> deleted = api.delete("/api/v1/images/" + id);

        assertThat(deleted.statusCode()).isEqualTo(204);
        assertThat(deleted.body()).isEmpty();
        assertThat(file).doesNotExist();
        assertThat(jdbc.queryForObject("select count(*) from image where id = ?", Integer.class, id)).isZero();
        assertThat(api.get("/api/v1/images/" + id).statusCode()).isEqualTo(404);
        assertThat(api.get("/api/v1/images/" + id + "/manifest").statusCode()).isEqualTo(404);
        assertThat(json(api.get("/api/v1/images?name=" + name)).size()).isZero();
        assertThat(api.delete("/api/v1/images/" + id).statusCode()).isEqualTo(404);
        var event = ImageEvents.await(e -> e instanceof ImageDeleted d && d.imageId().equals(id), Duration.ofSeconds(30))
                .orElseThrow(() -> new AssertionError("no image-deleted event on Kafka"));
        assertThat(event.key()).isEqualTo(id.toString());
        assertThat(((ImageDeleted) event.event()).name()).isEqualTo(name);

        // The name is free again.
        HttpResponse<String> again = api.upload(name, bytes);
        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(json(again).get("id").asString()).isNotEqualTo(id.toString());
    }

    @Test
    void openApiDocumentDescribesTheEndpoints() {
        HttpResponse<String> docs = api.get("/v3/api-docs");
        assertThat(docs.statusCode()).isEqualTo(200);
        JsonNode doc = json(docs);
        assertThat(doc.get("info").get("title").asString()).isEqualTo("bootswarm seed-service");
        JsonNode paths = doc.get("paths");
        assertThat(paths.get("/api/v1/images").get("post").get("requestBody").get("content")
                .get("application/octet-stream")).isNotNull();
        assertThat(paths.get("/api/v1/images").get("get").get("summary").asString()).isEqualTo("List images");
        assertThat(paths.get("/api/v1/images/{id}").get("delete")).isNotNull();
        assertThat(paths.get("/api/v1/images/{id}/manifest").get("get")).isNotNull();
        assertThat(paths.get("/api/v1/imports").get("post")).isNotNull();
        assertThat(paths.get("/api/v1/imports/{id}").get("get")).isNotNull();
        JsonNode schemas = doc.get("components").get("schemas");
        assertThat(schemas.get("Image").get("description").asString()).contains("catalog");
        assertThat(schemas.get("Import").get("properties").get("bytesDone").get("description").asString()).isNotBlank();
        assertThat(api.get("/swagger-ui/index.html").statusCode()).isEqualTo(200);
    }

    /**
     * Waits for the path import at {@code path} to show more than {@code after} bytes, and returns them: it must
     * still be RUNNING then, short of its {@code size} (held by the import clock, it cannot finish meanwhile).
     */
    private long awaitProgress(String path, long after, long size) {
        JsonNode now = await("progress of the path import past " + after + " bytes").atMost(Duration.ofSeconds(60))
                .until(() -> json(api.get(path)), i -> !i.get("state").asString().equals("RUNNING")
                        || i.get("bytesDone").asLong() > after);
        assertThat(now.get("state").asString()).as("held by the import clock: %s", now).isEqualTo("RUNNING");
        assertThat(now.get("bytesDone").asLong()).as("progress while running").isGreaterThan(after).isLessThan(size);
        return now.get("bytesDone").asLong();
    }

    private static JsonNode findImport(JsonNode imports, UUID imageId) {
        for (JsonNode i : imports) {
            if (imageId.toString().equals(i.get("imageId").asString())) {
                return i;
            }
        }
        throw new AssertionError("no import of image " + imageId + " in " + imports);
    }
}
