package io.bootswarm.profile.access;

import io.bootswarm.infra.auth.AccessMatrix;
import io.bootswarm.profile.ProfileITSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * profile-service's endpoint × role matrix, from its own OpenAPI document, against the real
 * authorization server. The admin's and agent's trace uploads and deletes name made-up images: no
 * row may come of them.
 */
class ProfileAccessMatrixIT extends ProfileITSupport {

    @Test
    void everyEndpointRefusesAnonymousCallersAndWrongRolesAndAdmitsItsOwn() {
        var before = rows();

        AccessMatrix.Result result = new AccessMatrix(INFRA.auth()).run("http://127.0.0.1:" + port);

        assertThat(result.unruled()).as("operations without an access rule").isEmpty();
        assertThat(result.wrong()).as("calls whose status does not fit the rule").isEmpty();
        assertThat(result.operations()).contains("GET /api/v1/profiles", "GET /api/v1/profiles/{imageId}/{workload}",
                "GET /api/v1/profiles/{imageId}/{workload}/compact", "GET /api/v1/profiles/{imageId}/{workload}/runs",
                "POST /api/v1/profiles/{imageId}/{workload}/traces", "DELETE /api/v1/profiles/{imageId}/{workload}");
        assertThat(result.cells()).hasSizeGreaterThan(result.operations().size() * 5);
        assertThat(rows()).as("rows after the matrix").isEqualTo(before);
    }
}
