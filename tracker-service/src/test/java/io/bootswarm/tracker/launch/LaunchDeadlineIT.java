package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchStatus.State;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.transaction.PlatformTransactionManager;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static io.bootswarm.tracker.launch.KafkaProbe.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A launch whose host never answers ends FAILED with reason {@code deadline} once the deadline has passed on
 * the sweep's clock, not a moment before; hosts that answered keep their state; a second sweep (another
 * replica's) changes nothing; and the agent's later report still applies. The sweep runs with a
 * {@link ManualClock} over the real PostgreSQL of the running tracker.
 */
class LaunchDeadlineIT extends TrackerITSupport {

    @Autowired
    LaunchHostRepository launchHosts;

    @Autowired
    PlatformTransactionManager txManager;

    @Autowired
    MeterRegistry meters;

    @Autowired
    LaunchProperties properties;

    private KafkaProbe kafka;

    @BeforeEach
    void kafka() {
        kafka = new KafkaProbe(INFRA.kafka());
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    /**
     * Registers the hosts and creates a launch; a 503 (the stand-in seed slow to answer on a loaded machine) is
     * asked again, registering the hosts again so that they are not DOWN meanwhile.
     */
    private UUID launch(String... hosts) {
        String body = """
                {"imageId": "%s", "hosts": ["%s"]}""".formatted(SEED.addImage("deadline", 1 << 20),
                String.join("\", \"", hosts));
        Response r = await().atMost(Duration.ofSeconds(60)).until(() -> {
            for (String h : hosts) {
                registerHost(h);
            }
            return post("/api/v1/launches", body);
        }, response -> response.status() != 503);
        assertThat(r.status()).as(r.body()).isEqualTo(201);
        return uuid(r.json("$.id"));
    }

    private Response awaitLaunch(UUID id, String path, Object expected) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> expected.equals(get("/api/v1/launches/" + id).json(path)));
        return get("/api/v1/launches/" + id);
    }

    @Test
    void theDefaultDeadlineIsTenMinutes() {
        assertThat(properties.deadline()).isEqualTo(Duration.ofMinutes(10));
    }

    @Test
    void hostsStillPendingOrPreparingAtTheDeadlineFailAndTheOthersKeepTheirState() {
        String silent = hostName("ds");
        String slow = hostName("dp");
        String ready = hostName("dr");
        UUID id = launch(silent, slow, ready);
        kafka.send(status(id, slow, State.PREPARING, 1, null, null, 0, 10, 0, null));
        kafka.send(status(id, ready, State.READY, 1, "nbd://127.0.0.1:10809/" + id, null, 0, 10, 0, null));
        awaitLaunch(id, "$.hosts[1].state", "PREPARING");
        awaitLaunch(id, "$.hosts[2].state", "READY");
        Instant created = Instant.parse(get("/api/v1/launches/" + id).json("$.createdAt"));
        double expiredBefore = meters.counter("bootswarm.tracker.launch.deadline.expired").count();

        ManualClock clock = new ManualClock(created.plus(properties.deadline()).minusSeconds(1));
        LaunchDeadlines sweep = new LaunchDeadlines(launchHosts, properties, clock, txManager, meters);

        int olderLaunches = sweep.sweep(); // other tests' launches, created more than a second before this one
        assertThat(get("/api/v1/launches/" + id).<List<String>>json("$.hosts[*].state"))
                .containsExactly("PENDING", "PREPARING", "READY");

        clock.advance(Duration.ofSeconds(2));
        int failed = sweep.sweep();
        int again = sweep.sweep();

        Response after = get("/api/v1/launches/" + id);
        assertThat(after.<List<String>>json("$.hosts[*].state")).containsExactly("FAILED", "FAILED", "READY");
        assertThat(after.<String>json("$.hosts[0].detail")).startsWith("deadline");
        assertThat(after.<String>json("$.hosts[1].detail")).startsWith("deadline");
        assertThat(after.<String>json("$.hosts[2].nbdUri")).isEqualTo("nbd://127.0.0.1:10809/" + id);
        assertThat(after.<String>json("$.state")).isNotIn("PENDING", "PREPARING");
        assertThat(failed).as("this launch's two hosts, and perhaps other tests' launches of the same second")
                .isGreaterThanOrEqualTo(2);
        assertThat(again).as("a second sweep (another replica's)").isZero();
        assertThat(meters.counter("bootswarm.tracker.launch.deadline.expired").count())
                .as("and whatever the scheduled sweep failed meanwhile").isGreaterThanOrEqualTo(
                        expiredBefore + olderLaunches + failed);

        kafka.send(status(id, slow, State.READY, 2, "nbd://127.0.0.2:10809/" + id, null, 0, 10, 0, null));
        Response late = awaitLaunch(id, "$.hosts[1].state", "READY");
        assertThat(late.<String>json("$.hosts[0].state")).isEqualTo("FAILED");
    }
}
