package io.bootswarm.tracker.access;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.infra.auth.AccessMatrix;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** The tracker's endpoint × role matrix, from its own OpenAPI document, against the real authorization server. */
class TrackerAccessMatrixIT extends TrackerITSupport {

    @Test
    void everyEndpointRefusesAnonymousCallersAndWrongRolesAndAdmitsItsOwn() {
        AccessMatrix.Result result = new AccessMatrix(INFRA.auth()).run("http://127.0.0.1:" + port);

        assertThat(result.unruled()).as("operations without an access rule").isEmpty();
        assertThat(result.wrong()).as("calls whose status does not fit the rule").isEmpty();
        assertThat(result.operations()).contains("POST /api/v1/hosts", "POST /api/v1/hosts/{name}/heartbeat",
                "POST /api/v1/seeds", "POST /api/v1/announce", "GET /announce", "POST /api/v1/launches",
                "DELETE /api/v1/launches/{id}");
        assertThat(result.cells()).hasSizeGreaterThan(result.operations().size() * 5);
    }

    @Test
    void healthProbesAreOpenAndTheRestOfTheActuatorIsForViewers() {
        AccessMatrix matrix = new AccessMatrix(INFRA.auth());

        assertThat(sendAsIs(request("/actuator/health/readiness", null)).status()).isEqualTo(200);
        assertThat(sendAsIs(request("/actuator/health/liveness", null)).status()).isEqualTo(200);
        assertThat(sendAsIs(request("/actuator/prometheus", null)).status()).isEqualTo(401);
        assertThat(sendAsIs(request("/actuator/prometheus", matrix.roleToken("agent"))).status()).isEqualTo(403);
        assertThat(sendAsIs(request("/actuator/prometheus", matrix.roleToken("orchestrator"))).status()).isEqualTo(403);
        Response metrics = sendAsIs(request("/actuator/prometheus", matrix.roleToken("viewer")));
        assertThat(metrics.status()).isEqualTo(200);
        assertThat(metrics.body()).contains("http_server_requests");
        assertThat(sendAsIs(request("/actuator/health", matrix.roleToken("viewer"))).status()).isEqualTo(200);
    }

    /** A GET with {@code token}, or without credentials when it is null. */
    private java.net.http.HttpRequest request(String path, String token) {
        var b = java.net.http.HttpRequest.newBuilder(uri(path)).GET();
        return (token == null ? b : b.header("Authorization", "Bearer " + token)).build();
    }
}
