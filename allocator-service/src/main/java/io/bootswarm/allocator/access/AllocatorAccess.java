package io.bootswarm.allocator.access;

import io.bootswarm.common.security.AccessRules;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static io.bootswarm.common.security.Role.ADMIN;
import static io.bootswarm.common.security.Role.VIEWER;

/**
 * Who may call which endpoint of allocator-service: only admins change the strategy.
 */
@Configuration(proxyBeanMethods = false)
class AllocatorAccess {

    @Bean
    AccessRules allocatorAccessRules() {
        return AccessRules.builder()
                .get("/api/v1/strategy", VIEWER, ADMIN)
                .put("/api/v1/strategy", ADMIN)
                .get("/api/v1/plans", VIEWER, ADMIN)
                .get("/api/v1/plans/current", VIEWER, ADMIN)
                .get("/api/v1/plans/{id}", VIEWER, ADMIN)
                .post("/api/v1/what-if", VIEWER, ADMIN)
                .build();
    }
}
