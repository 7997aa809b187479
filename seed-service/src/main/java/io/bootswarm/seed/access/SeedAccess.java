package io.bootswarm.seed.access;

import io.bootswarm.common.security.AccessRules;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static io.bootswarm.common.security.Role.ADMIN;
import static io.bootswarm.common.security.Role.AGENT;
import static io.bootswarm.common.security.Role.ORCHESTRATOR;
import static io.bootswarm.common.security.Role.VIEWER;

/**
 * Who may call which endpoint of seed-service: admins change the catalog; agents read manifests,
 * keys and image groups; the tracker and profile-service (viewer clients) read images and related swarms.
 */
@Configuration(proxyBeanMethods = false)
class SeedAccess {

    @Bean
    AccessRules seedAccessRules() {
        return AccessRules.builder()
                .post("/api/v1/images", ADMIN)
                .get("/api/v1/images", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/images/{id}", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/images/{id}/manifest", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/images/{id}/similar", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/images/{id}/groups", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .delete("/api/v1/images/{id}", ADMIN)
                .put("/api/v1/images/{id}/stock-clients", ADMIN)
                .get("/api/v1/images/{id}/stock-clients", ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/images/{id}/torrent-info", VIEWER, ADMIN)
                .get("/api/v1/swarms/{swarmId}/stock-clients", VIEWER, ADMIN)
                .get("/api/v1/manifest-keys", AGENT, ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/swarms/related", AGENT, VIEWER, ADMIN)
                .post("/api/v1/imports", ADMIN)
                .get("/api/v1/imports", VIEWER, ADMIN)
                .get("/api/v1/imports/{id}", VIEWER, ADMIN)
                .get("/api/v1/allocation", VIEWER, ADMIN)
                .get("/api/v1/allocation/groups/{groupId}", VIEWER, ADMIN)
                .build();
    }
}
