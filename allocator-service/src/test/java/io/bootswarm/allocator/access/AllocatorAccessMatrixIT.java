package io.bootswarm.allocator.access;

import io.bootswarm.allocator.AllocatorITSupport;
import io.bootswarm.infra.auth.AccessMatrix;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * allocator-service's endpoint × role matrix, from its own OpenAPI document, against the real
 * authorization server. The admin's strategy switch with an empty body must leave the strategy as
 * it was; the what-if with one must solve nothing.
 */
class AllocatorAccessMatrixIT extends AllocatorITSupport {

    @Test
    void everyEndpointRefusesAnonymousCallersAndWrongRolesAndAdmitsItsOwn() {
        String strategy = http.get("/api/v1/strategy").json("$.strategy");

        AccessMatrix.Result result = new AccessMatrix(INFRA.auth()).run("http://127.0.0.1:" + port);

        assertThat(result.unruled()).as("operations without an access rule").isEmpty();
        assertThat(result.wrong()).as("calls whose status does not fit the rule").isEmpty();
        assertThat(result.operations()).contains("GET /api/v1/strategy", "PUT /api/v1/strategy", "GET /api/v1/plans",
                "GET /api/v1/plans/current", "GET /api/v1/plans/{id}", "POST /api/v1/what-if");
        assertThat(result.cells()).hasSizeGreaterThan(result.operations().size() * 5);
        assertThat(result.cells()).filteredOn(c -> c.path().equals("/api/v1/what-if") && c.role().equals("admin"))
                .extracting(AccessMatrix.Cell::status).as("an empty what-if is a bad request").containsExactly(400);
        assertThat(http.get("/api/v1/strategy").<String>json("$.strategy")).isEqualTo(strategy);
    }
}
