package io.bootswarm.allocator.plan;

import io.bootswarm.allocator.Agents;
import io.bootswarm.allocator.AllocatorITSupport;
import io.bootswarm.allocator.AllocatorServiceApplication;
import io.bootswarm.allocator.PlanWatcher;
import io.bootswarm.allocator.TwoImages;
import io.bootswarm.allocator.leader.LeaderElection;
import io.bootswarm.allocator.leader.LeadershipLostException;
import io.bootswarm.allocator.leader.Term;
import io.bootswarm.common.events.AllocationPlan;
import io.bootswarm.infra.Infra;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.testing.CloseContextsAtSessionEnd;
import io.bootswarm.testing.TestHttp;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.datasource.SingleConnectionDataSource;

import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Two allocator instances on one database and one Kafka: only the elected one publishes; when it
 * dies without releasing its lease (as on SIGKILL), the standby publishes, with the next epoch, once the
 * lease has expired; brought back, the killed one stands by; and a plan for a deposed term is refused by
 * the store. Period 500 ms, lease 1 s renewed every 200 ms.
 */
class FailoverIT {

    private static final Logger log = LoggerFactory.getLogger(FailoverIT.class);
    private static final Infra INFRA = Infra.shared();
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String DATABASE = INFRA.newDatabase("allocator_failover");
    private static final SingleConnectionDataSource HISTORY = new SingleConnectionDataSource(DATABASE,
            INFRA.postgres().username(), INFRA.postgres().password(), true);
    private static final JdbcTemplate JDBC = new JdbcTemplate(HISTORY);

    private static Agents agents;
    private static PlanWatcher watcher;

    /** A plan read from Kafka with the leader and epoch its history row holds. */
    private record Seen(AllocationPlan plan, String leader, long epoch) {
    }

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

    private static ConfigurableApplicationContext start(String instance) {
        Map<String, String> p = new HashMap<>(AllocatorITSupport.properties(DATABASE));
        p.put("server.port", "0");
        p.put("bootswarm.allocator.period", "500ms");
        p.put("bootswarm.allocator.report-interval", "500ms");
        p.put("bootswarm.allocator.report-expiry", "4");
        p.put("bootswarm.allocator.plan-validity", "1500ms");
        p.put("bootswarm.allocator.leader.instance-id", instance);
        p.put("bootswarm.allocator.leader.lease-duration", "1s");
        p.put("bootswarm.allocator.leader.renew-interval", "200ms");
        p.put("bootswarm.outbox.poll-interval", "200ms");
        ConfigurableApplicationContext c = AllocatorServiceApplication.builder()
                .run(p.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new));
        CloseContextsAtSessionEnd.register(c);
        AllocatorITSupport.awaitListening(c);
        return c;
    }

    private static LeaderElection election(ConfigurableApplicationContext c) {
        return c.getBean(LeaderElection.class);
    }

    private static double published(ConfigurableApplicationContext c) {
        return c.getBean(MeterRegistry.class).find("bootswarm.allocator.plans.published").counters().stream()
                .mapToDouble(Counter::count).sum();
    }

    private static List<Seen> seen(TwoImages images) {
        return watcher.plansFor(images.groups()).stream().map(p -> JDBC.queryForObject(
                "select leader, epoch from allocator.plan where id = ?",
                (rs, i) -> new Seen(p, rs.getString(1), rs.getLong(2)), p.planId())).toList();
    }

    @Test
    void theStandbyPublishesWithTheNextEpochOnceTheKilledLeadersLeaseExpires() {
        ConfigurableApplicationContext a = start("a");
        await("a leads").atMost(WAIT).until(() -> election(a).current().isPresent());
        ConfigurableApplicationContext b = start("b");
        watcher = new PlanWatcher(INFRA.kafka(), JDBC);
        TwoImages images = new TwoImages();
        agents.report(images.hosts(), 500);

        await("plans from a").atMost(WAIT).until(() -> seen(images).size() >= 4);
        AllocatorITSupport.awaitRounds(b.getBean(Planner.class), 2);
        long epochA = election(a).current().orElseThrow().epoch();
        assertThat(election(b).current()).isEmpty();
        assertThat(seen(images)).allSatisfy(s -> {
            assertThat(s.leader()).isEqualTo("a");
            assertThat(s.epoch()).isEqualTo(epochA);
        });
        assertThat(published(b)).isZero();
        assertThat(b.getBean(MeterRegistry.class).get("bootswarm.allocator.leader").gauge().value()).isZero();
        assertThat(a.getBean(MeterRegistry.class).get("bootswarm.allocator.leader").gauge().value()).isOne();

        // a is killed: it stops renewing and planning, its lease is not released
        election(a).crash();
        a.close();
        await("a plan from b").atMost(WAIT).until(() -> seen(images).stream().anyMatch(s -> s.leader().equals("b")));

        List<Seen> all = seen(images);
        int fromA = (int) all.stream().takeWhile(s -> s.leader().equals("a")).count();
        Seen lastOfA = all.get(fromA - 1);
        Seen firstOfB = all.get(fromA);
        assertThat(all.subList(0, fromA)).allSatisfy(s -> assertThat(s.leader()).isEqualTo("a"));
        assertThat(all.subList(fromA, all.size())).allSatisfy(s -> {
            assertThat(s.leader()).isEqualTo("b");
            assertThat(s.epoch()).isEqualTo(epochA + 1);
        });
        log.info("failover: a's last plan at {}, b's first at {}: {} ms (period 500 ms, lease 1 s, renew 200 ms)",
                lastOfA.plan().at(), firstOfB.plan().at(),
                Duration.between(lastOfA.plan().at(), firstOfB.plan().at()).toMillis());

        // a deposed term cannot store or publish a plan
        PlanStore store = b.getBean(PlanStore.class);
        long stored = JDBC.queryForObject("select count(*) from allocator.plan", Long.class);
        long queued = JDBC.queryForObject("select count(*) from allocator.outbox", Long.class);
        PlanRecord plan = b.getBean(Planner.class).current().orElseThrow();
        PlanRecord copy = new PlanRecord(UUID.randomUUID(), Instant.now(), plan.strategy(), plan.level(),
                plan.seedUpload(), plan.validUntil(), plan.maxRemainingSeconds(), plan.lowerBound(), plan.gap(),
                plan.iterations(), plan.residual(), plan.solveNanos(), plan.hosts(), plan.swarms());
        assertThatThrownBy(() -> store.publish(copy, new Term("a", epochA, Instant.now().plusSeconds(60))))
                .isInstanceOf(LeadershipLostException.class);
        assertThat(JDBC.queryForObject("select count(*) from allocator.plan where id = ?", Long.class,
                copy.planId())).isZero();
        assertThat(JDBC.queryForObject("select count(*) from allocator.outbox where payload like ?", Long.class,
                "%" + copy.planId() + "%")).isZero();
        assertThat(JDBC.queryForObject("select count(*) from allocator.plan", Long.class)).isGreaterThanOrEqualTo(stored);
        assertThat(JDBC.queryForObject("select count(*) from allocator.outbox", Long.class)).isGreaterThanOrEqualTo(queued);

        // the history says who made which plan
        TestHttp http = new TestHttp(() -> Integer.parseInt(b.getEnvironment().getProperty("local.server.port")),
                (request, body) -> Tokens.authorized(request));
        TestHttp.Response history = http.get("/api/v1/plans?size=100");
        assertThat(history.status()).isEqualTo(200);
        assertThat(history.<List<String>>json("$.plans[*].leader")).contains("a", "b").containsOnly("a", "b");
        assertThat(history.<List<Integer>>json("$.plans[?(@.leader == 'b')].epoch"))
                .containsOnly((int) epochA + 1);

        // a comes back and stands by; b keeps publishing
        ConfigurableApplicationContext back = start("a");
        AllocatorITSupport.awaitRounds(back.getBean(Planner.class), 3);
        int before = seen(images).size();
        await("more plans from b").atMost(WAIT).until(() -> seen(images).size() >= before + 3);
        assertThat(election(back).current()).isEmpty();
        assertThat(published(back)).isZero();
        List<Seen> after = seen(images);
        assertThat(after.subList(fromA, after.size())).allSatisfy(s -> assertThat(s.leader()).isEqualTo("b"));

        agents.stop();
        back.close();
        b.close();
    }
}
