package io.bootswarm.tracker.access;

import io.bootswarm.common.security.AccessRules;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpMethod;

import static io.bootswarm.common.security.Role.ADMIN;
import static io.bootswarm.common.security.Role.AGENT;
import static io.bootswarm.common.security.Role.ORCHESTRATOR;
import static io.bootswarm.common.security.Role.SEED;
import static io.bootswarm.common.security.Role.VIEWER;

/**
 * Who may call which endpoint of the tracker. Agents act only as their own host (checked in the
 * controllers against the token's {@code host} claim) and hold the peer ids they announce first. A seed
 * reads launches and stops an image's live launches: it deletes images.
 */
@Configuration(proxyBeanMethods = false)
class TrackerAccess {

    @Bean
    AccessRules trackerAccessRules() {
        return AccessRules.builder()
                .post("/api/v1/hosts", AGENT)
                .post("/api/v1/hosts/{name}/heartbeat", AGENT).routine()
                .get("/api/v1/hosts", VIEWER, ADMIN, ORCHESTRATOR)
                .get("/api/v1/hosts/{name}", VIEWER, ADMIN, ORCHESTRATOR)
                .post("/api/v1/seeds", SEED).routine()
                .get("/api/v1/seeds", AGENT, VIEWER, ADMIN, ORCHESTRATOR)
                .post("/api/v1/announce", AGENT).routine()
                .get("/api/v1/peer-token-keys", AGENT, SEED, VIEWER, ADMIN)
                // stock BitTorrent clients carry no token: their passkey is checked by the announce
                .anonymous(HttpMethod.GET, "/announce")
                .anonymous(HttpMethod.GET, "/announce/{passkey}")
                .post("/api/v1/passkeys", VIEWER, ORCHESTRATOR, ADMIN)
                .delete("/api/v1/passkeys", VIEWER, ORCHESTRATOR, ADMIN)
                .get("/api/v1/images/{id}/torrent", VIEWER, ORCHESTRATOR, ADMIN)
                .post("/api/v1/launches", ORCHESTRATOR, ADMIN)
                .get("/api/v1/launches", ORCHESTRATOR, VIEWER, ADMIN, SEED)
                .post("/api/v1/launches/stops", SEED, ADMIN)
                .get("/api/v1/launches/{id}", ORCHESTRATOR, VIEWER, ADMIN)
                .delete("/api/v1/launches/{id}", ORCHESTRATOR, ADMIN)
                .post("/api/v1/preheats", ORCHESTRATOR, ADMIN)
                .get("/api/v1/preheats", ORCHESTRATOR, VIEWER, ADMIN)
                .get("/api/v1/preheats/{id}", ORCHESTRATOR, VIEWER, ADMIN)
                .delete("/api/v1/preheats/{id}", ORCHESTRATOR, ADMIN)
                .build();
    }
}
