package io.bootswarm.allocator.plan;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;
import io.bootswarm.allocator.Agents;
import io.bootswarm.allocator.AllocatorITSupport;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.allocator.PlanWatcher;
import io.bootswarm.allocator.TwoImages;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.SwarmReport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.data.domain.PageRequest;
import org.springframework.transaction.support.TransactionTemplate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static io.bootswarm.testing.TestHttp.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

/** Swarm reports in on Kafka, allocation plans out on Kafka, and the plans as REST shows them. */
class KafkaPlansIT extends AllocatorITSupport {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Autowired
    private MeterRegistry meters;
    @Autowired
    private PlanRepository repository;
    @Autowired
    private TransactionTemplate tx;

    private Agents agents;
    private PlanWatcher watcher;

    @BeforeEach
    void clients() {
        agents = new Agents(INFRA.kafka());
        watcher = new PlanWatcher(INFRA.kafka(), jdbc);
        assertThat(http.putJson("/api/v1/strategy", "{\"strategy\":\"cross-opt\"}").status()).isEqualTo(200);
    }

    @AfterEach
    void close() {
        agents.close();
        watcher.close();
    }

    private double reports(String outcome) {
        return meters.get("bootswarm.allocator.reports").tag("outcome", outcome).counter().count();
    }

    @Test
    void reportsInMakeACrossOptPlanOutWithinOnePercentOfTheExactOptimum() {
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);

        AllocationPlan event = watcher.await(images.groups(),
                p -> p.strategy().equals("CROSS_OPT") && images.complete(http, p.planId()), WAIT);

        assertThat(event.seedUpload()).isEqualTo(US);
        assertThat(event.validUntil()).isEqualTo(event.at().plusMillis(1500));
        assertThat(event.rates()).allSatisfy(r -> assertThat(r.bytesPerSecond()).isGreaterThanOrEqualTo(0));
        assertThat(event.rates().stream().mapToDouble(AllocationPlan.Rate::bytesPerSecond)
                .sum()).isCloseTo(US, within(US * 1e-9));

        // the plan as stored: the inputs it was made from are the reports' aggregates (Eq. 10)
        Response stored = http.get("/api/v1/plans/" + event.planId());
        assertThat(stored.status()).as(stored.body()).isEqualTo(200);
        assertThat(stored.<String>json("$.level")).isEqualTo("GROUP");
        List<Map<String, Object>> lines = stored.json("$.swarms");
        Map<String, Map<String, Object>> byId = new HashMap<>();
        lines.forEach(l -> byId.put((String) l.get("swarmId"), l));
        for (String g : images.groups()) {
            Map<String, Object> line = byId.get(g);
            assertThat(((Number) line.get("remainingBytes")).doubleValue()).as(g).isEqualTo(images.remaining().get(g));
            assertThat(((Number) line.get("peerUploadRate")).doubleValue()).as(g)
                    .isCloseTo(images.peerUpload().get(g), within(1e-3));
            assertThat(((Number) line.get("popularity")).doubleValue()).as(g).isEqualTo(images.popularity().get(g));
        }
        assertThat((List<String>) byId.get(images.shared).get("imageIds"))
                .containsExactlyInAnyOrder(images.a.toString(), images.b.toString());
        assertThat((List<String>) byId.get(images.onlyB).get("imageIds")).containsExactly(images.b.toString());
        for (var rate : event.rates()) {
            assertThat(((Number) byId.get(PlanWatcher.idOf(rate)).get("seedRate")).doubleValue())
                    .isEqualTo(rate.bytesPerSecond());
        }

        // the published split against the exact optimum of the same problem (every swarm of the plan)
        List<String> ids = lines.stream().map(l -> (String) l.get("swarmId")).toList();
        AllocationProblem problem = AllocationProblem.of(ids,
                lines.stream().mapToDouble(l -> ((Number) l.get("remainingBytes")).doubleValue()).toArray(),
                lines.stream().mapToDouble(l -> ((Number) l.get("peerUploadRate")).doubleValue()).toArray(), US);
        double[] rates = new double[ids.size()];
        event.rates().forEach(r -> rates[ids.indexOf(PlanWatcher.idOf(r))] = r.bytesPerSecond());
        double m = AllocationSolution.of(problem, rates, Strategy.CROSS_OPT).maxRemainingTime();
        AllocationSolution exact = Strategy.EXACT.solver().solve(problem);
        assertThat(m).isCloseTo(event.maxRemainingSeconds(), within(m * 1e-9));
        assertThat(m).isBetween(exact.maxRemainingTime() * (1 - 1e-9), exact.maxRemainingTime() * 1.01);
        assertThat(Strategy.CROSS_EQU.solver().solve(problem).maxRemainingTime())
                .as("an equal split would be far from it").isGreaterThan(exact.maxRemainingTime() * 1.5);
        for (String g : images.groups()) {
            assertThat(rates[ids.indexOf(g)]).as(g).isCloseTo(exact.serverRate(ids.indexOf(g)), within(US * 0.01));
        }
    }

    @Test
    void theCurrentPlanShowsItsInputsIterationsResidualAndGap() {
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);
        AllocationPlan event = watcher.await(images.groups(),
                p -> p.strategy().equals("CROSS_OPT") && images.complete(http, p.planId()), WAIT);

        Response current = http.get("/api/v1/plans/current");
        assertThat(current.status()).isEqualTo(200);
        assertThat(Instant.parse(current.json("$.at"))).isAfterOrEqualTo(event.at());
        assertThat(current.<String>json("$.strategy")).isEqualTo("CROSS_OPT");
        assertThat(current.<String>json("$.strategyLabel")).isEqualTo("Cross-Opt");
        assertThat(current.<String>json("$.level")).isEqualTo("GROUP");
        assertThat(current.<Boolean>json("$.fresh")).isTrue();
        assertThat(current.number("$.seedUpload")).isEqualTo(US);
        assertThat(current.<Integer>json("$.inputs.hosts")).isGreaterThanOrEqualTo(5);
        assertThat(current.<Integer>json("$.inputs.swarms")).isEqualTo(current.<Integer>json("$.swarms.length()"));
        assertThat(current.number("$.inputs.remainingBytes")).isGreaterThanOrEqualTo(8e9);
        assertThat(current.<Integer>json("$.iterations")).isPositive();
        assertThat(Math.abs(current.number("$.residual"))).isLessThan(1.0);
        assertThat(current.number("$.gap")).isBetween(0.0, 0.01);
        assertThat(current.number("$.lowerBoundSeconds")).isLessThanOrEqualTo(current.number("$.maxRemainingSeconds"));
        assertThat(current.<List<Number>>json("$.swarms[*].predictedSeconds")).allSatisfy(t ->
                assertThat(t.doubleValue()).isLessThanOrEqualTo(current.number("$.maxRemainingSeconds") * (1 + 1e-9)));
        assertThat(current.number("$.solveMillis")).isPositive();
    }

    @Test
    void noPlanIsPublishedWhileNoReportsAreLiveAndTheLastGoesStale() {
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);
        watcher.await(images.groups(), p -> true, WAIT);
        agents.stop();

        // reports live 2 s; then the planner has nothing to plan, and the last plan expires 1.5 s later
        awaitQuiet();
        int published = watcher.plansFor(Set.of()).size();
        long stored = plans();
        await().atMost(WAIT).until(() -> !http.get("/api/v1/plans/current").<Boolean>json("$.fresh"));
        Response current = http.get("/api/v1/plans/current");
        assertThat(Instant.parse(current.json("$.validUntil"))).isBefore(Instant.now());

        awaitRounds(planner, 3);
        assertThat(plans()).isEqualTo(stored);
        assertThat(watcher.plansFor(Set.of())).hasSize(published);
    }

    @Test
    void theHistoryPagesNewestFirst() {
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);
        await().atMost(WAIT).until(() -> plans() >= 5);
        agents.stop();
        awaitQuiet();
        long total = plans();

        List<String> ids = new ArrayList<>();
        Instant last = Instant.MAX;
        for (int page = 0; page * 2 < total; page++) {
            Response r = http.get("/api/v1/plans?page=" + page + "&size=2");
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.<Integer>json("$.total")).isEqualTo((int) total);
            assertThat(r.<Integer>json("$.page")).isEqualTo(page);
            assertThat(r.<Integer>json("$.plans.length()")).isEqualTo((int) Math.min(2, total - page * 2L));
            for (Map<String, Object> e : r.<List<Map<String, Object>>>json("$.plans")) {
                Instant at = Instant.parse((String) e.get("at"));
                assertThat(at).isBeforeOrEqualTo(last);
                last = at;
                ids.add((String) e.get("planId"));
                assertThat((Integer) e.get("swarms")).isPositive();
                assertThat((Integer) e.get("hosts")).isPositive();
            }
        }
        assertThat(ids).doesNotHaveDuplicates().hasSize((int) total);
        assertThat(http.get("/api/v1/plans?page=" + (total / 2 + 1) + "&size=2").<Integer>json("$.plans.length()"))
                .isZero();
        Response first = http.get("/api/v1/plans/" + ids.getFirst());
        assertThat(first.<String>json("$.planId")).isEqualTo(ids.getFirst());
        assertThat(http.get("/api/v1/plans/current").<String>json("$.planId")).isEqualTo(ids.getFirst());

        assertProblem(http.get("/api/v1/plans?page=-1"), 400, "bad-page");
        assertProblem(http.get("/api/v1/plans?size=0"), 400, "bad-page");
        assertProblem(http.get("/api/v1/plans?size=101"), 400, "bad-page");
        assertProblem(http.get("/api/v1/plans?page=x"), 400, "bad-parameter");
        assertProblem(http.get("/api/v1/plans/" + UUID.randomUUID()), 404, "plan-not-found");
        assertProblem(http.get("/api/v1/plans/not-a-uuid"), 400, "bad-parameter");
    }

    private int delete(java.util.function.IntSupplier deletion) {
        Integer n = tx.execute(status -> deletion.getAsInt());
        return n == null ? -1 : n;
    }

    @Test
    void pruningKeepsTheNewestPlansByCountAndByAge() {
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);
        await().atMost(WAIT).until(() -> plans() >= 6);
        agents.stop();
        awaitQuiet();
        long before = plans();
        List<PlanSummary> newest = repository.summaries(PageRequest.of(0, 3));

        assertThat(delete(() -> repository.deleteBeyond(3))).isEqualTo((int) before - 3);
        assertThat(repository.summaries(PageRequest.of(0, 10))).isEqualTo(newest);
        assertThat(delete(() -> repository.deleteBeyond(3))).isZero();

        assertThat(delete(() -> repository.deleteOlderThan(newest.get(1).at()))).isEqualTo(1);
        assertThat(repository.summaries(PageRequest.of(0, 10))).isEqualTo(newest.subList(0, 2));
        assertThat(http.get("/api/v1/plans").<Integer>json("$.total")).isEqualTo(2);
    }

    @Test
    void badRecordsAreSkippedAndTheListenerCarriesOn() {
        double undecodable = reports("undecodable");
        double invalid = reports("invalid");
        double expired = reports("expired");

        agents.sendRaw("h", "not json");
        agents.sendRaw("h", EventCodec.encode(new LaunchStatus(UUID.randomUUID(), Instant.now(), UUID.randomUUID(),
                "h", LaunchStatus.State.READY, 0, null, null, 0, 0, 0, null)));
        agents.send(new SwarmReport(UUID.randomUUID(), Instant.now(), "h-negative", -5, List.of()));
        agents.send(new SwarmReport(UUID.randomUUID(), Instant.now().minusSeconds(60), "h-old", 5, List.of()));
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);

        watcher.await(images.groups(), p -> true, WAIT);
        assertThat(reports("undecodable")).isEqualTo(undecodable + 2);
        assertThat(reports("invalid")).isEqualTo(invalid + 1);
        assertThat(reports("expired")).isEqualTo(expired + 1);
    }
}
