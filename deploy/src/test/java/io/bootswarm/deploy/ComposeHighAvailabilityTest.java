package io.bootswarm.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * docker-compose.ha.yml over docker-compose.yml: each pair shares what it must (the trackers one
 * peer-token key, the seeds one image store) and keeps apart what it must (seed ids and advertised
 * addresses, allocator instance ids, published ports), and every client of the trackers, and every client of the
 * seeds that is not told of them by a tracker, knows both.
 */
class ComposeHighAvailabilityTest {

    private static final String BOTH_TRACKERS = "http://tracker:8080,http://tracker-2:8080";
    private static final String BOTH_SEEDS = "http://seed:8081,http://seed-2:8081";

    private static Map<String, Object> services;
    private static Map<String, Object> document;

    @BeforeAll
    static void load() throws IOException {
        document = Compose.document(ComposeChartAgreementTest.COMPOSE, ComposeChartAgreementTest.COMPOSE_HA);
        services = Compose.services(ComposeChartAgreementTest.COMPOSE, ComposeChartAgreementTest.COMPOSE_HA);
    }

    @Test
    void trackersReplicateAndSignWithOneKeyInitMakes() {
        for (String tracker : List.of("tracker", "tracker-2")) {
            Map<String, String> env = Compose.environment(services, tracker);
            assertThat(env).as(tracker).containsEntry("BOOTSWARM_TRACKER_REPLICA_ENABLED", "true")
                    .containsEntry("BOOTSWARM_TRACKER_PEER_TOKEN_KEY_FILE", "/run/bootswarm/peer-token/peer-token-key.pem");
            assertThat(Compose.volumes(services, tracker)).as(tracker).containsEntry("/run/bootswarm/peer-token", "tracker-key");
            assertThat(volumeSpecs(tracker)).as(tracker + " mounts the key read-only")
                    .contains("tracker-key:/run/bootswarm/peer-token:ro");
        }
        assertThat(Compose.volumes(services, "init")).containsEntry("/init/tracker-key", "tracker-key");
        assertThat(((Map<?, ?>) document.get("volumes")).keySet()).extracting(String::valueOf).contains("tracker-key");
    }

    @Test
    void seedsShareTheStoreAndEachIsASeedOfItsOwn() {
        Map<String, String> one = Compose.environment(services, "seed");
        Map<String, String> two = Compose.environment(services, "seed-2");
        for (String variable : List.of("BOOTSWARM_SEED_ID", "BOOTSWARM_SEED_ADVERTISED_HOST",
                "BOOTSWARM_SEED_ADVERTISED_API_URL")) {
            assertThat(one.get(variable)).as(variable).isNotBlank().isNotEqualTo(two.get(variable));
        }
        assertThat(two).containsEntry("BOOTSWARM_SEED_ADVERTISED_HOST", "seed-2");
        assertThat(one.get("BOOTSWARM_SEED_STORAGE_DIR")).isEqualTo(two.get("BOOTSWARM_SEED_STORAGE_DIR"));
        String store = one.get("BOOTSWARM_SEED_STORAGE_DIR");
        assertThat(Compose.volumes(services, "seed")).containsEntry(store, "seed-images");
        assertThat(Compose.volumes(services, "seed-2")).containsEntry(store, "seed-images");
        assertThat(one).as("the manifest key lives in the shared store").doesNotContainKey("BOOTSWARM_SEED_SIGNING_KEY_FILE");
        assertThat(two).doesNotContainKey("BOOTSWARM_SEED_SIGNING_KEY_FILE");
    }

    @Test
    void allocatorsHaveDistinctInstanceIds() {
        String one = Compose.environment(services, "allocator").get("BOOTSWARM_ALLOCATOR_LEADER_INSTANCE_ID");
        String two = Compose.environment(services, "allocator-2").get("BOOTSWARM_ALLOCATOR_LEADER_INSTANCE_ID");
        assertThat(one).isNotBlank().isNotEqualTo(two);
        assertThat(two).isNotBlank();
    }

    @Test
    void agentsAndSeedsFailOverBetweenBothTrackers() {
        for (String agent : List.of("agent-1", "agent-2")) {
            assertThat(Compose.environment(services, agent)).as(agent)
                    .containsEntry("BOOTSWARM_AGENT_TRACKER_URL", BOTH_TRACKERS);
            assertThat(((Map<?, ?>) Compose.service(services, agent).get("depends_on")).keySet()).as(agent)
                    .extracting(String::valueOf).contains("tracker", "tracker-2", "seed", "seed-2");
        }
        for (String seed : List.of("seed", "seed-2")) {
            assertThat(Compose.environment(services, seed)).as(seed)
                    .containsEntry("BOOTSWARM_SEED_TRACKER_URL", BOTH_TRACKERS);
        }
    }

    @Test
    void agentsAndProfileFailOverBetweenBothSeeds() {
        for (String agent : List.of("agent-1", "agent-2")) {
            assertThat(Compose.environment(services, agent)).as(agent)
                    .containsEntry("BOOTSWARM_AGENT_SEED_URL", BOTH_SEEDS);
        }
        assertThat(Compose.environment(services, "profile")).containsEntry("BOOTSWARM_PROFILE_SEED_URL", BOTH_SEEDS);
    }

    @Test
    void everyPublishedAddressIsPublishedOnce() {
        List<String> published = new ArrayList<>();
        for (String service : services.keySet()) {
            published.addAll(Compose.publishedHostPorts(services, service));
        }
        assertThat(published).doesNotHaveDuplicates().contains("127.0.0.1:8180", "127.0.0.1:8181", "127.0.0.1:8184")
                .allMatch(p -> p.startsWith("127.0.0.1:"));
    }

    @SuppressWarnings("unchecked")
    private static List<String> volumeSpecs(String service) {
        return ((List<Object>) Compose.service(services, service).get("volumes")).stream().map(String::valueOf).toList();
    }
}
