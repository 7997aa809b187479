package io.bootswarm.seed.allocation;

import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.Topics;
import io.bootswarm.seed.Api;
import io.bootswarm.seed.SeedTestSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Plans published on the real topic by someone other than allocator-service: one dated in the year
 * 9999 (which, taken as the newest, would have outdated every real plan) and one made now but valid
 * until 9999, then a genuine plan. The genuine plan is in force, the forged ones never were.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=seed-service",
        "bootswarm.seed.upload-rate=8000000B",
})
class ForgedPlanIT {

    private static final String DROPPED = "bootswarm.seed.plan.dropped";
    private static final String GROUP = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0";
    private static final Instant YEAR_9999 = Instant.parse("9999-01-01T00:00:00Z");
    private static final Path STORAGE = SeedTestSupport.newStorageDir();
    private static final String DATABASE = SeedTestSupport.newDatabase();

    @DynamicPropertySource
    static void seedProperties(DynamicPropertyRegistry registry) {
        SeedTestSupport.register(registry, DATABASE, STORAGE);
    }

    @LocalServerPort
    int port;
    @Autowired
    MeterRegistry meters;

    @Test
    void aPlanDatedInTheYear9999NeitherAppliesNorLocksOutTheGenuinePlanAfterIt() throws Exception {
        Api api = new Api(port);
        AllocationPlan dated9999 = plan(YEAR_9999, YEAR_9999.plus(Duration.ofDays(300)), 8_000_000);
        AllocationPlan valid9999 = plan(Instant.now(), YEAR_9999, 8_000_000);
        publish(dated9999);
        publish(valid9999);
        AllocationPlan genuine = plan(Instant.now(), Instant.now().plus(Duration.ofMinutes(1)), 2_000_000);
        publish(genuine);

        Set<String> seen = ConcurrentHashMap.newKeySet();
        JsonNode view = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
                .until(() -> {
                    JsonNode v = json(api.get("/api/v1/allocation"));
                    seen.add(v.path("planId").asString());
                    return v;
                }, v -> genuine.planId().toString().equals(v.path("planId").asString()));

        assertThat(view.path("source").asString()).isEqualTo("PLAN");
        assertThat(view.path("validUntil").asString()).isEqualTo(genuine.validUntil().toString());
        assertThat(seen).doesNotContain(dated9999.planId().toString(), valid9999.planId().toString());
        // records of one key are consumed in order: both forged plans were judged before the genuine one
        assertThat(meters.get(DROPPED).tag("reason", "created-in-future").counter().count()).isEqualTo(1);
        assertThat(meters.get(DROPPED).tag("reason", "valid-too-long").counter().count()).isEqualTo(1);
    }

    private static AllocationPlan plan(Instant at, Instant validUntil, double rate) {
        return new AllocationPlan(UUID.randomUUID(), at, UUID.randomUUID(), "CROSS_OPT", 8_000_000, validUntil, 10, 5,
                0, 0, List.of(AllocationPlan.Rate.ofGroup(GROUP, rate)));
    }

    private void publish(AllocationPlan plan) throws Exception {
        // as allocator-service, the one principal the ACLs let publish plans
        SeedTestSupport.send(KafkaUser.ALLOCATOR, Topics.ALLOCATION_PLANS, AllocationPlan.KEY, EventCodec.encode(plan));
    }
}
