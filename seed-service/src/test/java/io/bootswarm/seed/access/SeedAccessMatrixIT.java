package io.bootswarm.seed.access;

import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.AccessMatrix;
import io.bootswarm.seed.SeedApiItBase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The seed's endpoint × role matrix, from its own OpenAPI document, against the real authorization
 * server. The matrix's admin calls reach the handlers with made-up ids and empty bodies (an upload
 * without a name or bytes, an import of nothing): they must leave the catalog as it was.
 */
class SeedAccessMatrixIT extends SeedApiItBase {

    @Test
    void everyEndpointRefusesAnonymousCallersAndWrongRolesAndAdmitsItsOwn() {
        CatalogState before = catalogState();

        AccessMatrix.Result result = new AccessMatrix(Infra.shared().auth()).run(api.base());

        assertThat(result.unruled()).as("operations without an access rule").isEmpty();
        assertThat(result.wrong()).as("calls whose status does not fit the rule").isEmpty();
        assertThat(result.operations()).contains("POST /api/v1/images", "GET /api/v1/images",
                "GET /api/v1/images/{id}", "GET /api/v1/images/{id}/manifest", "DELETE /api/v1/images/{id}",
                "GET /api/v1/images/{id}/groups", "GET /api/v1/manifest-keys", "GET /api/v1/swarms/related",
                "POST /api/v1/imports", "GET /api/v1/imports", "GET /api/v1/allocation");
        assertThat(result.cells()).hasSizeGreaterThan(result.operations().size() * 5);
        assertThat(catalogState()).as("images, imports and files after the matrix").isEqualTo(before);
    }
}
