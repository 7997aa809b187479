package io.bootswarm.allocator.api;

import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocator.Agents;
import io.bootswarm.allocator.AllocatorITSupport;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.allocator.PlanWatcher;
import io.bootswarm.allocator.TwoImages;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.bootswarm.testing.TestHttp.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The strategy switch, the what-if endpoint, problem bodies and the OpenAPI document. */
class ApiIT extends AllocatorITSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);

    private Map<String, Object> strategyRow() {
        return jdbc.queryForMap("select value, updated_at from allocator.setting where name = 'strategy'");
    }

    @Test
    void aStrategySwitchIsPersistedAndMakesTheNextPlansAtOnce() {
        try (Agents agents = new Agents(INFRA.kafka());
             PlanWatcher watcher = new PlanWatcher(INFRA.kafka(), jdbc)) {
            TwoImages images = new TwoImages();
            agents.report(images.hosts(), 500);
            assertThat(http.putJson("/api/v1/strategy", "{\"strategy\":\"CROSS_OPT\"}").status()).isEqualTo(200);
            watcher.await(images.groups(), p -> p.strategy().equals("CROSS_OPT"), WAIT);

            Response put = http.putJson("/api/v1/strategy", "{\"strategy\":\"Cross-Prop\"}");
            assertThat(put.status()).isEqualTo(200);
            assertThat(put.<String>json("$.strategy")).isEqualTo("CROSS_PROP");
            assertThat(put.<String>json("$.label")).isEqualTo("Cross-Prop");
            assertThat(put.<List<String>>json("$.available"))
                    .containsExactly("ISO", "CROSS_EQU", "CROSS_PROP", "CROSS_OPT", "EXACT");
            assertThat(strategyRow().get("value")).isEqualTo("CROSS_PROP");
            assertThat(http.get("/api/v1/strategy").<String>json("$.strategy")).isEqualTo("CROSS_PROP");
            var prop = watcher.await(images.groups(),
                    p -> p.strategy().equals("CROSS_PROP") && images.complete(http, p.planId()), WAIT);
            // Cross-Prop: u_s split by the hosts still missing each group (4 : 2 : 3 of ours)
            double perHost = prop.rates().stream().filter(r -> r.groupId().equals(images.shared)).findFirst()
                    .orElseThrow().bytesPerSecond() / 4;
            assertThat(prop.rates().stream().filter(r -> r.groupId().equals(images.onlyB)).findFirst().orElseThrow()
                    .bytesPerSecond()).isCloseTo(3 * perHost, within(1e-6 * US));

            assertThat(http.putJson("/api/v1/strategy", "{\"strategy\":\"iso\"}").status()).isEqualTo(200);
            var iso = watcher.await(images.images(), p -> p.strategy().equals("ISO"), WAIT);
            assertThat(iso.rates()).allSatisfy(r -> assertThat(r.groupId()).isNull());
            assertThat(http.get("/api/v1/plans/current").<String>json("$.level")).isEqualTo("IMAGE");
        } finally {
            http.putJson("/api/v1/strategy", "{\"strategy\":\"CROSS_OPT\"}");
        }
    }

    @Test
    void whatIfSolvesAPostedProblemAndAppliesNothing() {
        http.putJson("/api/v1/strategy", "{\"strategy\":\"CROSS_OPT\"}");
        Map<String, Object> strategyBefore = strategyRow();
        String id = "what-if-" + UUID.randomUUID();
        String body = """
                {"seedUpload": 50000000, "strategy": "exact", "swarms": [
                  {"swarmId": "%1$s-a", "remainingBytes": 4000000000, "peerUploadRate": 1000000, "popularity": 3},
                  {"swarmId": "%1$s-b", "remainingBytes": 1000000000, "peerUploadRate": 5000000},
                  {"swarmId": "%1$s-c", "remainingBytes": 0, "peerUploadRate": 0}]}""".formatted(id);

        Response r = http.postJson("/api/v1/what-if", body);

        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.<String>json("$.strategy")).isEqualTo("EXACT");
        assertThat(r.<Object>json("$.planId")).isNull();
        assertThat(r.<Boolean>json("$.fresh")).isFalse();
        assertThat(r.<List<String>>json("$.swarms[*].swarmId")).containsExactly(id + "-a", id + "-b", id + "-c");
        // the optimum equalises T = R / (P + u): (5e9) / (6e6 + 50e6) for the two that miss bytes
        double m = 5e9 / 56e6;
        assertThat(r.number("$.maxRemainingSeconds")).isCloseTo(m, within(m * 1e-6));
        assertThat(r.number("$.swarms[0].seedRate")).isCloseTo(4e9 / m - 1e6, within(1.0));
        assertThat(r.number("$.swarms[2].seedRate")).isZero();
        assertThat(r.number("$.inputs.remainingBytes")).isEqualTo(5e9);
        assertThat(r.number("$.inputs.peerUploadRate")).isEqualTo(6e6);

        // the column form, with the current strategy (Cross-Opt): within 1 % of the exact optimum
        Response cols = http.postJson("/api/v1/what-if", """
                {"seedUpload": 50000000, "swarmIds": ["x", "y", "z"], "remainingBytes": [4e9, 1e9, 3e9],
                 "peerUploadRates": [1e6, 5e6, 2e7]}""");
        assertThat(cols.status()).as(cols.body()).isEqualTo(200);
        assertThat(cols.<String>json("$.strategy")).isEqualTo("CROSS_OPT");
        double exact = Strategy.EXACT.solver().solve(io.bootswarm.allocation.AllocationProblem.of(
                List.of("x", "y", "z"), new double[]{4e9, 1e9, 3e9}, new double[]{1e6, 5e6, 2e7}, 5e7))
                .maxRemainingTime();
        assertThat(cols.number("$.maxRemainingSeconds")).isBetween(exact * (1 - 1e-9), exact * 1.01);

        // ISO with images: equal per image, then per unfinished swarm of the image
        Response iso = http.postJson("/api/v1/what-if", """
                {"seedUpload": 900, "strategy": "ISO", "swarms": [
                  {"swarmId": "a1", "imageId": "A", "remainingBytes": 10, "peerUploadRate": 0},
                  {"swarmId": "a2", "imageId": "A", "remainingBytes": 10, "peerUploadRate": 0},
                  {"swarmId": "b1", "imageId": "B", "remainingBytes": 10, "peerUploadRate": 0}]}""");
        assertThat(iso.<List<Number>>json("$.swarms[*].seedRate")).extracting(Number::doubleValue)
                .containsExactly(225.0, 225.0, 450.0);
        assertThat(iso.<List<String>>json("$.swarms[0].imageIds")).containsExactly("A");

        // no upload at all for a swarm that misses bytes: it never finishes, and JSON has no infinity
        Response never = http.postJson("/api/v1/what-if", """
                {"seedUpload": 0, "swarmIds": ["n"], "remainingBytes": [10], "peerUploadRates": [0]}""");
        assertThat(never.status()).as(never.body()).isEqualTo(200);
        assertThat(never.<Object>json("$.maxRemainingSeconds")).isNull();
        assertThat(never.<Object>json("$.swarms[0].predictedSeconds")).isNull();

        assertThat(jdbc.queryForObject("select count(*) from allocator.plan where swarms like ?", Long.class,
                "%" + id + "%")).isZero();
        assertThat(jdbc.queryForObject("select count(*) from allocator.outbox where payload like ?", Long.class,
                "%" + id + "%")).isZero();
        assertThat(strategyRow()).isEqualTo(strategyBefore);
    }

    @Test
    void malformedInputsGetProblemBodiesAndChangeNothing() {
        http.putJson("/api/v1/strategy", "{\"strategy\":\"CROSS_OPT\"}");
        awaitQuiet();
        Map<String, Object> strategyBefore = strategyRow();
        long plansBefore = plans();

        assertProblem(http.putJson("/api/v1/strategy", "{\"strategy\":\"fastest\"}"), 400, "unknown-strategy");
        assertProblem(http.putJson("/api/v1/strategy", "{}"), 400, "unknown-strategy");
        assertProblem(http.putJson("/api/v1/strategy", "{\"strategy\":"), 400, "malformed-body");
        assertProblem(http.putJson("/api/v1/strategy", ""), 400, "malformed-body");
        assertProblem(http.put("/api/v1/strategy", "text/plain", "ISO"), 415, "unsupported-media-type");

        String ok = "{\"seedUpload\": 100, \"swarms\": [{\"swarmId\": \"s\", \"remainingBytes\": 1, \"peerUploadRate\": 1}]}";
        assertThat(http.postJson("/api/v1/what-if", ok).status()).isEqualTo(200);
        for (String bad : List.of(
                "{\"seedUpload\": 100}",
                "{\"seedUpload\": 100, \"swarms\": []}",
                "{\"swarms\": [{\"swarmId\": \"s\", \"remainingBytes\": 1, \"peerUploadRate\": 1}]}",
                "{\"seedUpload\": -1, \"swarms\": [{\"swarmId\": \"s\", \"remainingBytes\": 1, \"peerUploadRate\": 1}]}",
                "{\"seedUpload\": 100, \"swarms\": [{\"swarmId\": \"s\", \"remainingBytes\": -1, \"peerUploadRate\": 1}]}",
                "{\"seedUpload\": 100, \"swarms\": [{\"swarmId\": \"s\", \"peerUploadRate\": 1}]}",
                "{\"seedUpload\": 100, \"swarms\": [{\"remainingBytes\": 1, \"peerUploadRate\": 1}]}",
                "{\"seedUpload\": 100, \"swarms\": [null]}",
                "{\"seedUpload\": 100, \"swarms\": [{\"swarmId\": \"s\", \"remainingBytes\": 1, \"peerUploadRate\": 1},"
                        + "{\"swarmId\": \"s\", \"remainingBytes\": 1, \"peerUploadRate\": 1}]}",
                "{\"seedUpload\": 100, \"swarmIds\": [\"a\", \"b\"], \"remainingBytes\": [1], \"peerUploadRates\": [1, 2]}",
                "{\"seedUpload\": 100, \"swarmIds\": [\"a\"], \"remainingBytes\": [1]}",
                "{\"seedUpload\": 100, \"swarmIds\": [\"a\"], \"remainingBytes\": [1], \"peerUploadRates\": [1], "
                        + "\"swarms\": [{\"swarmId\": \"s\", \"remainingBytes\": 1, \"peerUploadRate\": 1}]}")) {
            assertProblem(http.postJson("/api/v1/what-if", bad), 400, "invalid-problem");
        }
        assertProblem(http.postJson("/api/v1/what-if", ok.replace("{\"seedUpload\"", "{\"strategy\": \"best\", \"seedUpload\"")),
                400, "unknown-strategy");
        assertProblem(http.postJson("/api/v1/what-if", "{\"seedUpload\": \"lots\"}"), 400, "malformed-body");
        assertProblem(http.postJson("/api/v1/what-if", "[1, 2"), 400, "malformed-body");
        String many = IntStream.range(0, 1001).mapToObj(i -> "\"s" + i + "\"").collect(Collectors.joining(","));
        String ones = IntStream.range(0, 1001).mapToObj(i -> "1").collect(Collectors.joining(","));
        Response tooMany = http.postJson("/api/v1/what-if", "{\"seedUpload\": 100, \"swarmIds\": [" + many
                + "], \"remainingBytes\": [" + ones + "], \"peerUploadRates\": [" + ones + "]}");
        assertProblem(tooMany, 400, "too-many-swarms");
        assertThat(tooMany.<Integer>json("$.limit")).isEqualTo(1000);

        assertThat(strategyRow()).isEqualTo(strategyBefore);
        assertThat(http.get("/api/v1/strategy").<String>json("$.strategy")).isEqualTo("CROSS_OPT");
        assertThat(plans()).isEqualTo(plansBefore);
    }

    @Test
    void theOpenApiDocumentAndUiAreServed() {
        Response docs = http.get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.<Map<String, Object>>json("$.paths")).containsKeys("/api/v1/plans/current", "/api/v1/plans",
                "/api/v1/plans/{id}", "/api/v1/strategy", "/api/v1/what-if");
        assertThat(docs.<String>json("$.info.title")).isEqualTo("bootswarm allocator-service");
        assertThat(http.get("/swagger-ui/index.html").status()).isEqualTo(200);
        assertThat(http.get("/actuator/health").status()).isEqualTo(200);
        String metrics = http.get("/actuator/prometheus").body();
        assertThat(metrics).contains("bootswarm_allocator_hosts", "bootswarm_allocator_plan_max_remaining_seconds",
                "bootswarm_allocator_reports_total{application=\"allocator-service\",outcome=\"accepted\"}");
    }
}
