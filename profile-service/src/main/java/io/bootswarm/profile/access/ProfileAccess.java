package io.bootswarm.profile.access;

import io.bootswarm.common.security.AccessRules;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static io.bootswarm.common.security.Role.ADMIN;
import static io.bootswarm.common.security.Role.AGENT;
import static io.bootswarm.common.security.Role.ORCHESTRATOR;
import static io.bootswarm.common.security.Role.VIEWER;

/**
 * Who may call which endpoint of profile-service: agents read compact profiles and post traces,
 * admins delete profiles.
 */
@Configuration(proxyBeanMethods = false)
class ProfileAccess {

    @Bean
    AccessRules profileAccessRules() {
        return AccessRules.builder()
                .get("/api/v1/profiles", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/profiles/{imageId}/{workload}", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/profiles/{imageId}/{workload}/compact", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/profiles/{imageId}/{workload}/runs", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .post("/api/v1/profiles/{imageId}/{workload}/traces", AGENT, ADMIN)
                .delete("/api/v1/profiles/{imageId}/{workload}", ADMIN)
                .build();
    }
}
