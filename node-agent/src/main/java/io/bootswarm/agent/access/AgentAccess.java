package io.bootswarm.agent.access;

import io.bootswarm.common.security.AccessRules;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static io.bootswarm.common.security.Role.ADMIN;
import static io.bootswarm.common.security.Role.ORCHESTRATOR;
import static io.bootswarm.common.security.Role.VIEWER;

/**
 * Who may call which endpoint of a node agent: the orchestrator (and admins) create, trace and
 * delete disks, viewers read them. No agent calls another's API.
 */
@Configuration(proxyBeanMethods = false)
class AgentAccess {

    @Bean
    AccessRules agentAccessRules() {
        return AccessRules.builder()
                .post("/api/v1/disks", ORCHESTRATOR, ADMIN)
                .get("/api/v1/disks", ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/disks/{id}", ORCHESTRATOR, VIEWER, ADMIN)
                .post("/api/v1/disks/{id}/trace", ORCHESTRATOR, ADMIN)
                .delete("/api/v1/disks/{id}", ORCHESTRATOR, ADMIN)
                .build();
    }
}
