package io.bootswarm.seed.catalog;

import io.bootswarm.seed.SeedApiItBase;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.TestPropertySource;

import java.net.http.HttpResponse;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A seed that belongs to a fleet (it has a tracker URL) does not delete an image blindly: when the tracker
 * cannot say whether launches still run it, the delete is refused with 503 {@code tracker-unavailable}, forced
 * or not, and the image, its row and its file stay.
 */
@TestPropertySource(properties = "bootswarm.seed.tracker-url=http://127.0.0.1:1")
class ImageDeleteTrackerAwayIT extends SeedApiItBase {

    @Test
    void aDeleteTheTrackerCannotCheckIsRefusedAndLeavesTheImage() {
        byte[] bytes = new byte[300 * 1024];
        new Random(12).nextBytes(bytes);
        HttpResponse<String> created = api.upload("it-delete-away-" + UUID.randomUUID().toString().substring(0, 8),
                bytes);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        String path = "/api/v1/images/" + json(created).get("id").asString();
        CatalogState before = catalogState();

        for (String query : new String[] {"", "?force=true"}) {
            HttpResponse<String> refused = api.delete(path + query);
            assertThat(refused.statusCode()).as(query + ": " + refused.body()).isEqualTo(503);
            assertThat(json(refused).get("type").asString()).isEqualTo("urn:bootswarm:problem:tracker-unavailable");
            assertThat(refused.headers().firstValue("Retry-After")).contains("5");
        }

        assertThat(api.get(path).statusCode()).isEqualTo(200);
        assertThat(catalogState()).as("rows and files after the refused deletes").isEqualTo(before);
        assertThat(api.delete("/api/v1/images/" + UUID.randomUUID()).statusCode()).as("an unknown image")
                .isEqualTo(404);
    }
}
