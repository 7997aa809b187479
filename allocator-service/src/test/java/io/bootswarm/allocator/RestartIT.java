package io.bootswarm.allocator;

import io.bootswarm.testing.CloseContextsAtSessionEnd;
import io.bootswarm.testing.TestHttp;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.infra.Infra;
import io.bootswarm.allocator.plan.Planner;
import io.bootswarm.allocator.reports.ReportStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.bootswarm.testing.TestHttp.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A restarted allocator-service (a new application context on the same database and consumer
 * group) resumes from the last plan and the strategy set through the API, publishes nothing while
 * no reports are live, and resumes publishing once agents report again.
 */
class RestartIT {

    private static final Infra INFRA = Infra.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    /** bootswarm.allocator.report-expiry (4) x report-interval (500 ms). */
    private static final Duration REPORT_LIFETIME = Duration.ofSeconds(2);
    private static final String DATABASE = INFRA.newDatabase("allocator_restart");

    private static Agents agents;
    private static PlanWatcher watcher;
    private static final SingleConnectionDataSource HISTORY = new SingleConnectionDataSource(DATABASE,
            INFRA.postgres().username(), INFRA.postgres().password(), true);
    private ConfigurableApplicationContext context;
    private final TestHttp http = new TestHttp(() -> Integer.parseInt(context.getEnvironment().getProperty("local.server.port")), (request, body) -> Tokens.authorized(request));

    @BeforeAll
    static void clients() {
        agents = new Agents(INFRA.kafka());
    }

    @AfterAll
    static void close() {
        agents.close();
        if (watcher != null) {
            watcher.close();
        }
        HISTORY.destroy();
    }

    private ConfigurableApplicationContext start() {
        Map<String, String> p = new java.util.HashMap<>(AllocatorITSupport.properties(DATABASE));
        p.put("server.port", "0");
        p.put("bootswarm.allocator.period", "500ms");
        p.put("bootswarm.allocator.report-interval", "500ms");
        p.put("bootswarm.allocator.report-expiry", "4");
        p.put("bootswarm.allocator.plan-validity", "1500ms");
        p.put("bootswarm.outbox.poll-interval", "200ms");
        ConfigurableApplicationContext c = AllocatorServiceApplication.builder()
                .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        CloseContextsAtSessionEnd.register(c);
        AllocatorITSupport.awaitListening(c);
        return c;
    }

    private Planner planner() {
        return context.getBean(Planner.class);
    }

    private long plans() {
        return context.getBean(JdbcTemplate.class).queryForObject("select count(*) from allocator.plan", Long.class);
    }

    @Test
    void aRestartedInstancePicksUpTheLastPlanAndStrategyAndResumesOnceReportsArrive() throws Exception {
        // let earlier test classes' reports (2 s) expire, so that nothing is live when this instance starts
        await("earlier reports expired").atMost(WAIT)
                .until(() -> Agents.newestSent().plus(REPORT_LIFETIME).isBefore(Instant.now()));
        context = start();
        watcher = new PlanWatcher(INFRA.kafka(),
                new JdbcTemplate(HISTORY));
        TwoImages images = new TwoImages();

        // nothing reported: no plan, however many rounds the planner runs
        AllocatorITSupport.awaitRounds(planner(), 3);
        assertThat(plans()).isZero();
        assertProblem(http.get("/api/v1/plans/current"), 404, "no-plan");

        assertThat(http.putJson("/api/v1/strategy", "{\"strategy\":\"CROSS_PROP\"}").status()).isEqualTo(200);
        agents.report(images.hosts(), 500);
        watcher.await(images.groups(), p -> p.strategy().equals("CROSS_PROP"), WAIT);
        agents.stop();
        AllocatorITSupport.awaitQuiet(context.getBean(ReportStore.class), planner());
        long stored = plans();
        String last = http.get("/api/v1/plans/current").json("$.planId");
        int publishedBefore = watcher.plansFor(Set.of()).size();
        assertThat(publishedBefore).isEqualTo(stored);
        assertThat(watcher.plansFor(Set.of()).getLast().planId().toString()).isEqualTo(last);
        context.close();

        context = start();
        TestHttp.Response current = http.get("/api/v1/plans/current");
        assertThat(current.status()).isEqualTo(200);
        assertThat(current.<String>json("$.planId")).isEqualTo(last);
        assertThat(current.<Boolean>json("$.fresh")).isFalse();
        assertThat(http.get("/api/v1/strategy").<String>json("$.strategy")).isEqualTo("CROSS_PROP");
        // the old reports replayed from Kafka have expired: still nothing to plan
        AllocatorITSupport.awaitRounds(planner(), 3);
        assertThat(plans()).isEqualTo(stored);
        assertThat(watcher.plansFor(Set.of())).hasSize(publishedBefore);

        agents.report(images.hosts(), 500);
        AllocationPlan resumed = watcher.await(images.groups(), p -> !p.planId().toString().equals(last), WAIT);
        assertThat(resumed.strategy()).isEqualTo("CROSS_PROP");
        assertThat(plans()).isGreaterThan(stored);
        assertThat(http.get("/api/v1/plans?size=100").<List<String>>json("$.plans[*].planId")).contains(last,
                resumed.planId().toString());
        agents.stop();
        context.close();
    }
}
