package io.bootswarm.seed.catalog;

import io.bootswarm.seed.Api;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.TestImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Cross-image sharing on three generated images: A; B, which is A with some pieces changed (one of
 * A's zero pieces filled, one of A's data pieces zeroed); C, unrelated. Similarity, piece groups
 * and related swarms must be exactly what {@link SharingOracle} computes from the bytes; groups
 * follow the catalog as images are added and deleted.
 */
class SharingIT extends SeedApiItBase {

    private static final int PIECE = 256 * 1024;
    private static final int PIECES = 21;
    private static final int SIZE = (PIECES - 1) * PIECE + 1000;   // the last piece is short

    /** One uploaded image: its id, swarm, and what the oracle knows of it. */
    private record Uploaded(UUID id, String name, String swarmId, SharingOracle.Image oracle) {
    }

    private Uploaded upload(Path dir, String label, byte[] bytes) throws Exception {
        Path file = Files.write(dir.resolve(label + ".raw"), bytes);
        String name = "it-share-" + label + "-" + UUID.randomUUID().toString().substring(0, 8);
        HttpResponse<String> r = api.upload(name, file);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        JsonNode image = json(r);
        UUID id = UUID.fromString(image.get("id").asString());
        return new Uploaded(id, name, image.get("swarmId").asString(),
                SharingOracle.Image.of(id, TestImages.expect(file, PIECE)));
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static void fill(byte[] image, int piece, byte[] with) {
        System.arraycopy(with, 0, image, piece * PIECE, Math.min(PIECE, image.length - piece * PIECE));
    }

    @Test
    void similarityGroupsAndRelatedSwarmsAreExactlyWhatTheBytesSay(@TempDir Path tmp) throws Exception {
        byte[] a = random(SIZE, 0x5eed_a11L);
        fill(a, 5, new byte[PIECE]);                       // pieces 5 and 6 all-zero
        fill(a, 6, new byte[PIECE]);
        System.arraycopy(a, 2 * PIECE, a, 7 * PIECE, PIECE); // piece 7 is piece 2 again: one piece, counted once
        byte[] b = a.clone();
        fill(b, 3, random(PIECE, 33));                     // changed
        fill(b, 4, random(PIECE, 44));
        fill(b, 5, random(PIECE, 55));                     // A's zero piece now holds data
        fill(b, 12, new byte[PIECE]);                      // A's data piece now zero
        byte[] c = random(9 * PIECE, 0x5eed_c33L);

        Uploaded ua = upload(tmp, "a", a);
        Uploaded ub = upload(tmp, "b", b);
        Uploaded uc = upload(tmp, "c", c);
        List<SharingOracle.Image> catalog = List.of(ua.oracle(), ub.oracle(), uc.oracle());
        // the oracle's own view: A has 21 pieces, 2 zero, one duplicate -> 18 distinct; B shares all but 3, 4, 12
        assertThat(ua.oracle().distinct()).hasSize(18);
        assertThat(SharingOracle.similar(ua.oracle(), catalog)).singleElement()
                .satisfies(s -> assertThat(s.sharedPieces()).isEqualTo(15));

        assertSimilar(ua, catalog);
        assertSimilar(ub, catalog);
        assertSimilar(uc, catalog);
        assertThat(json(api.get("/api/v1/images/" + uc.id() + "/similar"))).isEmpty();

        String etag = assertGroups(ua, catalog);
        assertGroups(ub, catalog);
        assertGroups(uc, catalog);

        // related swarms, for the tracker
        JsonNode related = json(api.get("/api/v1/swarms/related?swarmId=" + ua.swarmId().toUpperCase()));
        assertThat(related).hasSize(1);
        assertThat(related.get(0).get("swarmId").asString()).isEqualTo(ub.swarmId());
        assertThat(related.get(0).get("imageId").asString()).isEqualTo(ub.id().toString());
        assertThat(related.get(0).get("sharedPieces").asLong()).isEqualTo(15);
        assertThat(json(api.get("/api/v1/swarms/related?swarmId=" + uc.swarmId()))).isEmpty();
        assertProblem(api.get("/api/v1/swarms/related?swarmId=" + "ab".repeat(20)), 404, "swarm-not-found");
        assertProblem(api.get("/api/v1/swarms/related?swarmId=xyz"), 400, "bad-swarm-id");
        assertProblem(api.get("/api/v1/images/" + UUID.randomUUID() + "/similar"), 404, "image-not-found");
        assertProblem(api.get("/api/v1/images/" + UUID.randomUUID() + "/groups"), 404, "image-not-found");

        // groups stay while the catalog does: 304 for the same ETag
        HttpResponse<String> same = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/images/"
                + ua.id() + "/groups")).header("If-None-Match", etag).GET());
        assertThat(same.statusCode()).isEqualTo(304);

        // D takes A's first four pieces (2 = 7 included): A's groups split, the version changes
        byte[] d = random(6 * PIECE, 0x5eed_d44L);
        System.arraycopy(a, 0, d, 0, 4 * PIECE);
        Uploaded ud = upload(tmp, "d", d);
        List<SharingOracle.Image> four = List.of(ua.oracle(), ub.oracle(), uc.oracle(), ud.oracle());
        String etag2 = assertGroups(ua, four);
        assertThat(etag2).isNotEqualTo(etag);
        assertThat(json(api.get("/api/v1/images/" + ua.id() + "/groups")).get("groups")).hasSize(4);
        assertSimilar(ua, four);
        assertSimilar(ud, four);
        HttpResponse<String> changed = api.send(HttpRequest.newBuilder(URI.create(api.base() + "/api/v1/images/"
                + ua.id() + "/groups")).header("If-None-Match", etag).GET());
        assertThat(changed.statusCode()).isEqualTo(200);

        // deleting B and D leaves A one group of its own
        assertThat(api.delete("/api/v1/images/" + ub.id()).statusCode()).isEqualTo(204);
        assertThat(api.delete("/api/v1/images/" + ud.id()).statusCode()).isEqualTo(204);
        List<SharingOracle.Image> two = List.of(ua.oracle(), uc.oracle());
        assertGroups(ua, two);
        JsonNode alone = json(api.get("/api/v1/images/" + ua.id() + "/groups"));
        assertThat(alone.get("groups")).hasSize(1);
        assertThat(alone.get("groups").get(0).get("imageIds").get(0).asString()).isEqualTo(ua.id().toString());
        assertThat(json(api.get("/api/v1/images/" + ua.id() + "/similar"))).isEmpty();
        assertThat(jdbc.queryForObject("select count(*) from image_piece where image_id in (?, ?)", Integer.class,
                ub.id(), ud.id())).isZero();
    }

    @Test
    void imagesAreFoundBySwarmId(@TempDir Path tmp) throws Exception {
        Uploaded x = upload(tmp, "x", random(3 * PIECE, 0x5eed_e55L));
        Uploaded y = upload(tmp, "y", random(2 * PIECE, 0x5eed_f66L));
        JsonNode found = json(api.get("/api/v1/images?swarmId=" + y.swarmId()));
        assertThat(found).hasSize(1);
        assertThat(found.get(0).get("id").asString()).isEqualTo(y.id().toString());
        assertThat(found.get(0).get("swarmId").asString()).isEqualTo(y.swarmId());
        assertThat(json(api.get("/api/v1/images?swarmId=" + x.swarmId().toUpperCase())).get(0).get("name").asString())
                .isEqualTo(x.name());
        assertThat(json(api.get("/api/v1/images?swarmId=" + "0".repeat(40)))).isEmpty();
        // with a name as well: both must match
        assertThat(json(api.get("/api/v1/images?swarmId=" + x.swarmId() + "&name=" + x.name()))).hasSize(1);
        assertThat(json(api.get("/api/v1/images?swarmId=" + x.swarmId() + "&name=" + y.name()))).isEmpty();
        assertProblem(api.get("/api/v1/images?swarmId=" + x.swarmId().substring(1)), 400, "bad-swarm-id");
        assertProblem(api.get("/api/v1/images?swarmId=" + "g".repeat(40)), 400, "bad-swarm-id");
    }

    private void assertSimilar(Uploaded image, List<SharingOracle.Image> catalog) {
        List<SharingOracle.Similar> expected = SharingOracle.similar(image.oracle(), catalog);
        JsonNode got = json(api.get("/api/v1/images/" + image.id() + "/similar"));
        List<String> otherImages = new ArrayList<>();
        got.forEach(s -> otherImages.add(s.get("imageId").asString()));
        // other tests' images (random bytes) share nothing with these
        assertThat(otherImages).as("similar to %s", image.name())
                .containsExactlyElementsOf(expected.stream().map(s -> s.imageId().toString()).toList());
        for (int i = 0; i < expected.size(); i++) {
            SharingOracle.Similar e = expected.get(i);
            JsonNode s = got.get(i);
            assertThat(s.get("sharedPieces").asLong()).isEqualTo(e.sharedPieces());
            assertThat(s.get("sharedBytes").asLong()).isEqualTo(e.sharedBytes());
            assertThat(s.get("shareOfThis").asDouble()).isCloseTo(e.shareOfThis(), within(1e-12));
            assertThat(s.get("shareOfOther").asDouble()).isCloseTo(e.shareOfOther(), within(1e-12));
            assertThat(s.get("name").asString()).startsWith("it-share-");
            assertThat(s.get("swarmId").asString()).hasSize(40);
        }
    }

    /** Checks the groups document of {@code image} against the oracle; returns its ETag. */
    private String assertGroups(Uploaded image, List<SharingOracle.Image> catalog) {
        SharingOracle.Groups expected = SharingOracle.groups(image.oracle(), catalog);
        HttpResponse<String> r = api.get("/api/v1/images/" + image.id() + "/groups");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        JsonNode doc = json(r);
        String etag = r.headers().firstValue("ETag").orElseThrow();
        assertThat(etag).isEqualTo("\"" + doc.get("version").asString() + "\"");
        assertThat(doc.get("imageId").asString()).isEqualTo(image.id().toString());
        assertThat(doc.get("pieceCount").asInt()).isEqualTo(image.oracle().pieceHash().length);
        JsonNode groups = doc.get("groups");
        assertThat(groups).hasSize(expected.groups().size());
        for (int i = 0; i < groups.size(); i++) {
            SharingOracle.Group e = expected.groups().get(i);
            JsonNode g = groups.get(i);
            assertThat(g.get("groupId").asString()).isEqualTo(e.groupId());
            List<String> ids = new ArrayList<>();
            g.get("imageIds").forEach(n -> ids.add(n.asString()));
            assertThat(ids).isEqualTo(e.imageIds().stream().map(UUID::toString).toList());
            assertThat(g.get("pieces").asLong()).isEqualTo(e.pieces());
            assertThat(g.get("bytes").asLong()).isEqualTo(e.bytes());
        }
        ByteBuffer pieceGroups = ByteBuffer.wrap(Base64.getDecoder().decode(doc.get("pieceGroups").asString()));
        int[] got = new int[pieceGroups.remaining() / 4];
        for (int p = 0; p < got.length; p++) {
            got[p] = pieceGroups.getInt();
        }
        assertThat(got).as("piece groups of %s", image.name()).isEqualTo(expected.pieceGroup());
        return etag;
    }

    static void assertProblem(HttpResponse<String> r, int status, String slug) {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v ->
                assertThat(v).startsWith("application/problem+json"));
        assertThat(Api.json(r).get("type").asString()).isEqualTo("urn:bootswarm:problem:" + slug);
    }
}
