package io.bootswarm.tracker.access;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/** Who changed what, and who was refused, is written to the audit log; routine calls are not. */
@ExtendWith(OutputCaptureExtension.class)
class AuditLogIT extends TrackerITSupport {

    @Test
    void aDeleteAndARefusedCallAreAuditedWithSubjectRolesResourceAndStatus(CapturedOutput output) {
        String host = hostName("audited");
        registerHost(host);
        String launch = "/api/v1/launches/" + UUID.randomUUID();

        assertThat(delete(launch).status()).isEqualTo(404);
        assertThat(post("/api/v1/hosts/" + host + "/heartbeat", "").status()).isEqualTo(204);
        Response refused = post("/api/v1/seeds", "{}", "Authorization", "Bearer " + hostToken(host));

        assertThat(refused.status()).isEqualTo(403);
        assertThat(output.getOut()).contains("audit service=tracker-service subject=it-operator "
                + "roles=[admin,agent,orchestrator,seed,viewer] action=DELETE resource=" + launch + " status=404");
        assertThat(output.getOut()).contains("audit service=tracker-service subject=agent-" + host
                + " roles=[agent] action=POST resource=/api/v1/hosts status=200");
        assertThat(output.getOut()).contains("subject=agent-" + host + " roles=[agent] action=POST resource=/api/v1/seeds status=403");
        assertThat(output.getOut()).doesNotContain("resource=/api/v1/hosts/" + host + "/heartbeat");
    }
}
