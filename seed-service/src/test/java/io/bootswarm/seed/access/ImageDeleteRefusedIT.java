package io.bootswarm.seed.access;

import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.AccessMatrix;
import io.bootswarm.seed.SeedApiItBase;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Deleting an image is the admin's alone: without a token it is 401, with the token of an
 * orchestrator, an agent or a viewer 403 (RFC 9457 bodies), and the image, its row and its file stay.
 */
class ImageDeleteRefusedIT extends SeedApiItBase {

    private final AccessMatrix roles = new AccessMatrix(Infra.shared().auth());

    @Test
    void aDeleteWithoutTokenOrWithAnotherRoleThanAdminLeavesTheImage() {
        byte[] bytes = new byte[300 * 1024];
        new Random(7).nextBytes(bytes);
        HttpResponse<String> created = api.upload("it-delete-refused-" + UUID.randomUUID().toString().substring(0, 8),
                bytes);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String path = "/api/v1/images/" + json(created).get("id").asString();
        String manifest = api.get(path + "/manifest").body();
        CatalogState before = catalogState();

        HttpResponse<String> anonymous = delete(path, null);
        assertThat(anonymous.statusCode()).as(anonymous.body()).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow()).startsWith("Bearer");
        assertProblem(anonymous, "unauthorized");

        for (String role : new String[] {"orchestrator", "agent", "viewer"}) {
            HttpResponse<String> refused = delete(path, roles.roleToken(role));
            assertThat(refused.statusCode()).as(role + ": " + refused.body()).isEqualTo(403);
            assertProblem(refused, "forbidden");
        }

        HttpResponse<String> still = send(path, "GET", roles.roleToken("admin"));
        assertThat(still.statusCode()).as(still.body()).isEqualTo(200);
        assertThat(json(still).get("size").asLong()).isEqualTo(bytes.length);
        assertThat(api.get(path + "/manifest").body()).isEqualTo(manifest);
        assertThat(catalogState()).as("rows and files after the refused deletes").isEqualTo(before);

        assertThat(delete(path, roles.roleToken("admin")).statusCode()).as("the admin's delete").isEqualTo(204);
        assertThat(api.get(path).statusCode()).isEqualTo(404);
    }

    private HttpResponse<String> delete(String path, String token) {
        return send(path, "DELETE", token);
    }

    /** {@code method path} with {@code token}, or with no Authorization header at all when it is null. */
    private HttpResponse<String> send(String path, String method, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(api.base() + path))
                .method(method, HttpRequest.BodyPublishers.noBody());
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
            return api.send(b);
        }
        return api.sendAsIs(b);
    }

    private static void assertProblem(HttpResponse<String> r, String slug) {
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/problem+json");
        assertThat(json(r).get("type").asString()).isEqualTo("urn:bootswarm:problem:" + slug);
        assertThat(json(r).get("status").asInt()).isEqualTo(r.statusCode());
    }
}
