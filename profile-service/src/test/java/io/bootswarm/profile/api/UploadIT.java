package io.bootswarm.profile.api;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.profile.ProfileITSupport;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admin uploads of CSV traces against a stand-in seed-service, the admin views, deletion, and every
 * rejected upload answering a problem with no row written anywhere.
 */
class UploadIT extends ProfileITSupport {

    private static final long FOUR_GIB = 4L << 30;
    private static final int PIECE = 256 * 1024;
    private static final byte[] DEBIAN = resource("/traces/debian12-boot.csv");

    private UUID image;

    @BeforeEach
    void image() {
        image = SEED.addImage("debian-12", FOUR_GIB, PIECE);
    }

    private static byte[] resource(String name) {
        try (InputStream in = UploadIT.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String traces(UUID img, String workload) {
        return "/api/v1/profiles/" + img + "/" + workload + "/traces";
    }

    @Test
    void theDebianBootTraceMakesAProfileOf291Pieces() {
        Response r = postCsv(traces(image, "boot"), DEBIAN);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        assertThat(r.header("Location")).endsWith("/api/v1/profiles/" + image + "/boot");
        assertThat(r.<String>json("$.source")).isEqualTo("UPLOAD");
        assertThat(r.<Integer>json("$.readCount")).isEqualTo(1012);
        assertThat(r.<Integer>json("$.piecesTouched")).isEqualTo(291);
        assertThat(r.<Number>json("$.durationMillis").doubleValue()).isEqualTo(43086.098);
        assertThat(r.<String>json("$.imageId")).isEqualTo(image.toString());
        String traceId = r.json("$.traceId");
        assertThat(Tokens.roles(SEED.authorization(image))).as("profile-service's own token at the seed")
                .containsExactly("viewer");

        Response compact = get("/api/v1/profiles/" + image + "/boot/compact");
        assertThat(compact.status()).isEqualTo(200);
        assertThat(compact.<Integer>json("$.runs")).isEqualTo(1);
        assertThat(compact.<Integer>json("$.pieceSize")).isEqualTo(PIECE);
        List<Integer> pieces = compact.json("$.pieces");
        List<Number> means = compact.json("$.meanFirstAccessMillis");
        assertThat(pieces).hasSize(291).doesNotHaveDuplicates();
        assertThat(pieces.getFirst()).isZero();
        assertThat(means.getFirst().longValue()).isZero();
        assertThat(means).extracting(Number::longValue).isSorted();
        assertThat(compact.<List<Number>>json("$.share")).extracting(Number::doubleValue).containsOnly(1.0);
        // the trace's third read (15.391641 s, offset 0) is not piece 0's first access: 0.000000 s is;
        // 15.517349 s reads 4294901760 -> piece 16383, after pieces 0 (0 s) -- see the trace
        int lastPiece = (int) ((FOUR_GIB - 1) / PIECE);
        assertThat(pieces.get(1)).isEqualTo(lastPiece);
        assertThat(means.get(1).longValue()).isEqualTo(15517);

        Response detail = get("/api/v1/profiles/" + image + "/boot?page=0&size=100");
        assertThat(detail.<Integer>json("$.pieces")).isEqualTo(291);
        assertThat(detail.<Integer>json("$.totalPages")).isEqualTo(3);
        assertThat(detail.<Integer>json("$.rows.length()")).isEqualTo(100);
        assertThat(detail.<Integer>json("$.rows[0].piece")).isZero();
        assertThat(detail.<Number>json("$.rows[0].meanFirstAccessMillis").doubleValue()).isZero();
        assertThat(detail.<Number>json("$.rows[1].meanFirstAccessMillis").doubleValue()).isEqualTo(15517.349);
        Response lastPage = get("/api/v1/profiles/" + image + "/boot?page=2&size=100");
        assertThat(lastPage.<Integer>json("$.rows.length()")).isEqualTo(91);
        assertThat(get("/api/v1/profiles/" + image + "/boot").<Integer>json("$.rows.length()")).isEqualTo(291);

        Response runs = get("/api/v1/profiles/" + image + "/boot/runs");
        assertThat(runs.<List<String>>json("$.items[*].traceId")).containsExactly(traceId);

        Response list = get("/api/v1/profiles?imageId=" + image);
        assertThat(list.<Integer>json("$.totalElements")).isEqualTo(1);
        assertThat(list.<String>json("$.items[0].workload")).isEqualTo("boot");
        assertThat(list.<Integer>json("$.items[0].runs")).isEqualTo(1);
        assertThat(list.<Integer>json("$.items[0].pieces")).isEqualTo(291);
        assertThat(list.<String>json("$.items[0].updatedAt")).isNotBlank();

        // a second run of the same trace: same rows, runs = 2, shares still 1
        assertThat(postCsv(traces(image, "boot"), DEBIAN).status()).isEqualTo(201);
        Response twice = get("/api/v1/profiles/" + image + "/boot/compact");
        assertThat(twice.<Integer>json("$.runs")).isEqualTo(2);
        assertThat(twice.<List<Integer>>json("$.pieces")).isEqualTo(pieces);
        assertThat(twice.<List<Number>>json("$.meanFirstAccessMillis")).extracting(Number::longValue)
                .isEqualTo(means.stream().map(Number::longValue).toList());
        assertThat(get("/api/v1/profiles/" + image + "/boot/runs").<Integer>json("$.totalElements")).isEqualTo(2);
    }

    @Test
    void deleteRemovesTheProfileWithItsRowsAndRuns() {
        assertThat(postCsv(traces(image, "gone"), DEBIAN).status()).isEqualTo(201);
        assertThat(postCsv(traces(image, "kept"), "time_s,op,offset,length\n0,READ,0,1\n".getBytes()).status())
                .isEqualTo(201);
        Map<String, Long> before = rows();

        Response d = delete("/api/v1/profiles/" + image + "/gone");
        assertThat(d.status()).as(d.body()).isEqualTo(204);
        assertThat(rows()).containsEntry("profile", before.get("profile") - 1)
                .containsEntry("profile_piece", before.get("profile_piece") - 291)
                .containsEntry("profile_run", before.get("profile_run") - 1);
        assertProblem(get("/api/v1/profiles/" + image + "/gone/compact"), 404, "profile-not-found");
        assertProblem(get("/api/v1/profiles/" + image + "/gone"), 404, "profile-not-found");
        assertProblem(get("/api/v1/profiles/" + image + "/gone/runs"), 404, "profile-not-found");
        assertProblem(delete("/api/v1/profiles/" + image + "/gone"), 404, "profile-not-found");
        assertThat(get("/api/v1/profiles/" + image + "/kept/compact").<Integer>json("$.runs")).isEqualTo(1);

        // the next run starts it again
        assertThat(postCsv(traces(image, "gone"), DEBIAN).status()).isEqualTo(201);
        assertThat(get("/api/v1/profiles/" + image + "/gone/compact").<Integer>json("$.runs")).isEqualTo(1);
    }

    @Test
    void noProfileYetIsANotFoundProblem() {
        Response r = get("/api/v1/profiles/" + image + "/never-ran/compact");
        assertProblem(r, 404, "profile-not-found");
        assertThat(r.<String>json("$.workload")).isEqualTo("never-ran");
    }

    private void rejected(Response r, int status, String slug) {
        assertProblem(r, status, slug);
    }

    @Test
    void badUploadsAreProblemsAndChangeNothing() {
        // one profile exists, so that a rejected run on it could change its rows
        assertThat(postCsv(traces(image, "boot"), DEBIAN).status()).isEqualTo(201);
        Map<String, Long> before = rows();
        String compactBefore = get("/api/v1/profiles/" + image + "/boot/compact").body();
        String h = "time_s,op,offset,length\n";

        UUID unknown = UUID.randomUUID();
        Response r = postCsv(traces(unknown, "boot"), DEBIAN);
        rejected(r, 404, "unknown-image");
        assertThat(r.<String>json("$.imageId")).isEqualTo(unknown.toString());
        assertThat(SEED.requests(unknown)).isEqualTo(1); // a 404 is an answer, not retried

        UUID failing = SEED.addFailingImage();
        r = postCsv(traces(failing, "boot"), DEBIAN);
        rejected(r, 503, "seed-unavailable");
        assertThat(r.header("Retry-After")).isEqualTo("5");
        assertThat(SEED.requests(failing)).isEqualTo(3); // retried

        rejected(postCsv(traces(image, "boot"), "time,op,offset,length\n0,READ,0,1\n".getBytes()), 400,
                "malformed-trace");
        r = postCsv(traces(image, "boot"), (h + "0,READ,0,1\n1,READ,zero,1\n").getBytes());
        rejected(r, 400, "malformed-trace");
        assertThat(r.<Integer>json("$.line")).isEqualTo(3);
        rejected(postCsv(traces(image, "boot"), (h + "0,READ,-1,1\n").getBytes()), 400, "malformed-trace");
        rejected(postCsv(traces(image, "boot"), (h + "0,READ,99999999999999999999,1\n").getBytes()), 400,
                "malformed-trace");
        rejected(postCsv(traces(image, "boot"), (h + "0,DISCARD,0,1\n").getBytes()), 400, "malformed-trace");
        // beyond the image's 4 GiB: the last byte is fine, one past it is not
        r = postCsv(traces(image, "boot"), (h + "0,READ,0,1\n1,READ," + (FOUR_GIB - 1) + ",2\n").getBytes());
        rejected(r, 400, "malformed-trace");
        assertThat(r.<Integer>json("$.line")).isEqualTo(3);
        assertThat(r.<String>json("$.detail")).contains("beyond the image");
        // a single line past the end of a valid trace spoils the whole upload
        byte[] spoilt = (new String(DEBIAN, StandardCharsets.UTF_8) + "44.0,READ,0,\n").getBytes();
        r = postCsv(traces(image, "boot"), spoilt);
        rejected(r, 400, "malformed-trace");
        assertThat(r.<Integer>json("$.line")).isEqualTo(1387);

        r = postCsv(traces(image, "boot"), (h + "0,WRITE,0,4096\n1,FLUSH,0,0\n").getBytes());
        rejected(r, 400, "empty-trace");
        rejected(postCsv(traces(image, "boot"), h.getBytes()), 400, "empty-trace");
        rejected(postCsv(traces(image, "boot"), (h + "0,READ,0,0\n1,READ,4096,0\n").getBytes()), 400, "empty-trace");
        rejected(postCsv(traces(image, "boot"), new byte[0]), 400, "malformed-trace");

        // over the 256 KB limit (this test's): by Content-Length, and streamed without one
        byte[] big = (h + "0,READ,0,1\n".repeat(30_000)).getBytes();
        r = postCsv(traces(image, "boot"), big);
        rejected(r, 413, "trace-too-large");
        r = send(HttpRequest.newBuilder(uri(traces(image, "boot"))).header("Content-Type", "text/csv")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big))).build());
        rejected(r, 413, "trace-too-large");

        rejected(postCsv(traces(image, "Boot"), DEBIAN), 400, "invalid-workload");
        rejected(postCsv(traces(image, "-boot"), DEBIAN), 400, "invalid-workload");
        rejected(postCsv(traces(image, "b".repeat(65)), DEBIAN), 400, "invalid-workload");
        rejected(postCsv("/api/v1/profiles/not-a-uuid/boot/traces", DEBIAN), 400, "invalid-image-id");
        rejected(postCsv("/api/v1/profiles/" + image.toString().substring(1) + "/boot/traces", DEBIAN), 400,
                "invalid-image-id");
        assertThat(rows()).isEqualTo(before);

        // the image now has another piece size than its profile
        UUID resized = SEED.addImage("resized", FOUR_GIB, 2 * PIECE);
        assertThat(postCsv(traces(resized, "boot"), DEBIAN).status()).isEqualTo(201);
        before = rows();
        SEED.replaceImage(resized, FOUR_GIB, PIECE);
        rejected(postCsv(traces(resized, "boot"), DEBIAN), 409, "piece-size-mismatch");

        Response wrongType = send(HttpRequest.newBuilder(uri(traces(image, "boot")))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        rejected(wrongType, 415, "unsupported-media-type");

        assertThat(rows()).isEqualTo(before);
        assertThat(get("/api/v1/profiles/" + image + "/boot/compact").body()).isEqualTo(compactBefore);
    }

    @Test
    void badIdsAndPagesOnTheViews() {
        rejected(get("/api/v1/profiles/nope/boot"), 400, "invalid-image-id");
        rejected(get("/api/v1/profiles/" + image + "/BOOT/compact"), 400, "invalid-workload");
        rejected(get("/api/v1/profiles/" + image + "/boot?size=0"), 400, "invalid-page");
        rejected(get("/api/v1/profiles?page=-1"), 400, "invalid-page");
        rejected(get("/api/v1/profiles?size=501"), 400, "invalid-page");
        rejected(get("/api/v1/profiles?imageId=xyz"), 400, "invalid-image-id");
        rejected(delete("/api/v1/profiles/" + image + "/a%20b"), 400, "invalid-workload");
    }

    @Test
    void metricsAndDocs() {
        assertThat(postCsv(traces(image, "metrics"), DEBIAN).status()).isEqualTo(201);
        String prometheus = get("/actuator/prometheus").body();
        assertThat(prometheus).containsPattern("bootswarm_profile_runs_applied_total\\{[^}]*source=\"upload\"[^}]*} [1-9]");
        assertThat(prometheus).contains("bootswarm_profile_traces_pending");
        assertThat(prometheus).containsPattern("bootswarm_profile_profiles\\{[^}]*} [1-9]");
        assertThat(get("/actuator/health").status()).isEqualTo(200);
        Response docs = get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.body()).contains("/api/v1/profiles/{imageId}/{workload}/compact",
                "/api/v1/profiles/{imageId}/{workload}/traces");
    }
}
