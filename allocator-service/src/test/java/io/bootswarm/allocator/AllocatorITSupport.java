package io.bootswarm.allocator;

import io.bootswarm.testing.TestHttp;
import io.bootswarm.infra.auth.Tokens;
import io.bootswarm.infra.kafka.KafkaUser;
import io.bootswarm.infra.Infra;
import io.bootswarm.allocator.plan.Planner;
import io.bootswarm.allocator.reports.ReportStore;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.context.ApplicationContext;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.listener.MessageListenerContainer;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import static org.awaitility.Awaitility.await;

/**
 * Base of allocator-service's integration tests: one application context on real PostgreSQL and
 * Kafka ({@link Infra#shared()}, a fresh database, its own consumer group), planning every 500 ms
 * from reports that live 2 s (agents report every 500 ms), plans valid 1.5 s, u_s = 100 MiB/s.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "spring.config.name=allocator-service",
        "bootswarm.allocator.period=500ms",
        "bootswarm.allocator.report-interval=500ms",
        "bootswarm.allocator.report-expiry=4",
        "bootswarm.allocator.plan-validity=1500ms",
        "bootswarm.allocator.max-what-if-swarms=1000",
        "bootswarm.outbox.poll-interval=200ms",
})
public abstract class AllocatorITSupport {

    protected static final Infra INFRA = Infra.shared();
    protected static final String DATABASE = INFRA.newDatabase("allocator");
    protected static final long US = 100L << 20;

    @LocalServerPort
    protected int port;

    @Autowired
    protected JdbcTemplate jdbc;

    protected final TestHttp http = new TestHttp(() -> this.port, (request, body) -> Tokens.authorized(request));

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        Map<String, String> p = properties(DATABASE);
        p.forEach((k, v) -> registry.add(k, () -> v));
    }

    /** Where an allocator of the tests finds its database and Kafka; each database its own consumer group. */
    public static Map<String, String> properties(String database) {
        Map<String, String> p = new java.util.HashMap<>(INFRA.springProperties(database, KafkaUser.ALLOCATOR));
        p.put("spring.kafka.consumer.group-id", "allocator-service-it-" + UUID.nameUUIDFromBytes(database.getBytes()));
        return p;
    }

    @Autowired
    protected Planner planner;

    @Autowired
    private ApplicationContext context;

    /** Reports are read from the latest offset: nothing sent before the listener has its partitions counts. */
    @BeforeEach
    void listening() {
        awaitListening(context);
    }

    /** Waits until the swarm-report listener of {@code context} has been assigned its partitions. */
    public static void awaitListening(ApplicationContext context) {
        MessageListenerContainer container = context.getBean(KafkaListenerEndpointRegistry.class)
                .getListenerContainer("allocator-swarm-reports");
        await("swarm-report partitions assigned").atMost(Duration.ofSeconds(30)).until(() -> {
            var assigned = container.getAssignedPartitions();
            return assigned != null && !assigned.isEmpty();
        });
    }

    @Autowired
    protected ReportStore reports;

    /** Waits until no reports are live and the planner has noticed: it makes no plan until agents report again. */
    protected void awaitQuiet() {
        awaitQuiet(reports, planner);
    }

    /**
     * Waits until {@code reports} has no live report, then for two more planning rounds: one that began
     * before may still have planned from what was live then, the second began with nothing to plan.
     */
    public static void awaitQuiet(ReportStore reports, Planner planner) {
        await("no live reports").atMost(Duration.ofSeconds(30)).until(() -> reports.live().isEmpty());
        awaitRounds(planner, 2);
    }

    /** Waits until {@code planner} has finished {@code n} more planning rounds. */
    public static void awaitRounds(Planner planner, int n) {
        long start = planner.rounds();
        await(n + " planning rounds").atMost(Duration.ofSeconds(30)).until(() -> planner.rounds() >= start + n);
    }

    protected long plans() {
        return jdbc.queryForObject("select count(*) from allocator.plan", Long.class);
    }
}
