package io.bootswarm.tracker.launch;

import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.testing.TestHttp;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two tracker replicas (the test's context, A, and a second one, B) on one PostgreSQL and one Kafka run every
 * background job at once: launches created through either are commanded once per host although both outbox
 * relays run, and overdue hosts swept by both deadline sweeps at the same moment fail once each.
 */
class TwoReplicasLaunchIT extends TrackerITSupport {

    private static ConfigurableApplicationContext replicaB;
    private static TestHttp b;

    @Autowired
    LaunchDeadlines deadlinesA;

    @Autowired
    MeterRegistry metersA;

    private KafkaProbe kafka;

    @BeforeAll
    static void startB() {
        replicaB = startReplica();
        b = httpOf(replicaB);
    }

    @AfterAll
    static void stopB() {
        if (replicaB != null) {
            replicaB.close();
        }
    }

    /** B learns of seed-it from its own registration: this test leaves the shared swarm view off. */
    @BeforeEach
    void kafkaAndSeedOfB() {
        kafka = new KafkaProbe(INFRA.kafka());
        Response r = b.postJson("/api/v1/seeds", """
                {"id": "seed-it", "peerHost": "127.0.0.1", "peerPort": %d, "apiUrl": "%s"}"""
                .formatted(SEED_PEER_PORT, SEED.url()));
        assertThat(r.status()).isEqualTo(204);
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    private UUID launch(TestHttp via, UUID image, String... hosts) {
        for (String h : hosts) {
            registerHost(h);
        }
        String json = """
                {"imageId": "%s", "hosts": [%s]}""".formatted(image,
                String.join(", ", List.of(hosts).stream().map(h -> "\"" + h + "\"").toList()));
        Response created = via.postJson("/api/v1/launches", json);
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        return uuid(created.json("$.id"));
    }

    @Test
    void launchesThroughEitherReplicaAreCommandedOncePerHost() {
        UUID image = SEED.addImage("ha-" + randomHex().substring(0, 6), 1 << 20);
        List<UUID> launches = new ArrayList<>();
        List<List<String>> hosts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            List<String> names = List.of(hostName("ha" + i + "a"), hostName("ha" + i + "b"));
            hosts.add(names);
            launches.add(launch(i % 2 == 0 ? http : b, image, names.toArray(String[]::new)));
        }
        for (int i = 0; i < launches.size(); i++) {
            List<KafkaProbe.Received> commands = kafka.commands(launches.get(i), 2, Duration.ofSeconds(2));
            assertThat(commands).as("launch %d", i).extracting(KafkaProbe.Received::key)
                    .containsExactlyInAnyOrderElementsOf(hosts.get(i));
            assertThat(commands).allSatisfy(c -> assertThat(c.command().action()).isEqualTo(LaunchCommand.Action.START));
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> jdbc.queryForObject(
                "select count(*) from tracker.outbox where published_at is null", Long.class) == 0);
    }

    @Test
    void bothReplicasSweepingOverdueHostsAtOnceFailEachOnce() throws Exception {
        UUID id = launch(http, SEED.addImage("ha-deadline", 1 << 20), hostName("hd1"), hostName("hd2"), hostName("hd3"));
        LaunchDeadlines deadlinesB = replicaB.getBean(LaunchDeadlines.class);
        MeterRegistry metersB = replicaB.getBean(MeterRegistry.class);
        double before = expired(metersA) + expired(metersB);
        jdbc.update("update tracker.launches set created_at = created_at - interval '1 day' where id = ?", id);

        CyclicBarrier start = new CyclicBarrier(2);
        CompletableFuture<Integer> a = CompletableFuture.supplyAsync(() -> sweepAfter(start, deadlinesA));
        CompletableFuture<Integer> bSweep = CompletableFuture.supplyAsync(() -> sweepAfter(start, deadlinesB));
        int failed = a.get() + bSweep.get();

        assertThat(jdbc.queryForList("select state from tracker.launch_hosts where launch_id = ?", String.class, id))
                .containsExactly("FAILED", "FAILED", "FAILED");
        assertThat(expired(metersA) + expired(metersB) - before).isEqualTo(3.0);
        assertThat(failed).isLessThanOrEqualTo(3);
    }

    private static int sweepAfter(CyclicBarrier start, LaunchDeadlines deadlines) {
        try {
            start.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return deadlines.sweep();
    }

    private static double expired(MeterRegistry meters) {
        return meters.get("bootswarm.tracker.launch.deadline.expired").counter().count();
    }
}
