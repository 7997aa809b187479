package io.bootswarm.tracker.swarm;

import io.bootswarm.testing.TestHttp;
import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.test.context.TestPropertySource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Two tracker replicas (the test's context, A, and a second one, B, on the same PostgreSQL and Kafka) share
 * one view of every swarm through {@code bootswarm.swarm-peers.v1}: a peer announced through either is handed
 * out by the other, a {@code stopped} through one removes it from both, and a seed registered with one is in
 * the answers of both. The visibility window (announce through A, then announce through B until the peer is
 * in B's answer) is printed over {@code -Dreplica.samples} announces (100); only that every announce becomes
 * visible is asserted: timings are a measurement, not a test.
 */
@TestPropertySource(properties = "bootswarm.tracker.replica.enabled=true")
class ReplicatedSwarmIT extends TrackerITSupport {

    private static ConfigurableApplicationContext replicaB;
    private static TestHttp b;

    @BeforeAll
    static void startB() {
        replicaB = startReplica("bootswarm.tracker.replica.enabled=true");
        b = httpOf(replicaB);
    }

    @AfterAll
    static void stopB() {
        if (replicaB != null) {
            replicaB.close();
        }
    }

    private static Response announce(TestHttp via, String swarm, String peer, String host, int port, String event) {
        return via.postJson("/api/v1/announce", """
                {"swarmId": "%s", "peerId": "%s", "host": "%s", "port": %d, "left": 100, "uploaded": 0,
                 "downloaded": 0, "event": %s, "numWant": 200}"""
                .formatted(swarm, peer, host, port, event == null ? "null" : "\"" + event + "\""));
    }

    private static List<String> peersSeenBy(TestHttp via, String swarm, String observer) {
        Response r = announce(via, swarm, observer, "10.9.9.9", 9999, null);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r.json("$.peers[*].peerId");
    }

    @Test
    void aPeerAnnouncedThroughOneReplicaIsHandedOutByTheOtherUntilItStops() {
        String swarm = randomHex();
        String viaA = randomHex();
        String viaB = randomHex();
        assertThat(announce(http, swarm, viaA, "10.1.0.1", 7001, "started").status()).isEqualTo(200);
        assertThat(announce(b, swarm, viaB, "10.1.0.2", 7002, "started").status()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(peersSeenBy(b, swarm, randomHex())).contains(viaA, viaB));
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(peersSeenBy(http, swarm, randomHex())).contains(viaA, viaB));

        assertThat(announce(b, swarm, viaA, "10.1.0.1", 7001, "stopped").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(peersSeenBy(http, swarm, randomHex())).doesNotContain(viaA).contains(viaB));
    }

    /** A replica started after an announce (a restart, a scale-up) reads it from the topic: no re-announce needed. */
    @Test
    void aReplicaStartedLaterKnowsThePeersAnnouncedBefore() {
        String swarm = randomHex();
        String early = randomHex();
        assertThat(announce(http, swarm, early, "10.3.0.1", 7001, "started").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(30)).until(() -> peersSeenBy(b, swarm, randomHex()).contains(early));

        long start = System.nanoTime();
        try (ConfigurableApplicationContext c = startReplica("bootswarm.tracker.replica.enabled=true")) {
            long started = System.nanoTime();
            TestHttp viaC = httpOf(c);
            await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                    .until(() -> peersSeenBy(viaC, swarm, randomHex()).contains(early));
            System.out.printf("a replica started late: context up in %d ms, then the earlier peer visible after %d ms%n",
                    (started - start) / 1_000_000, (System.nanoTime() - started) / 1_000_000);
        }
    }

    /** seed-it registers with A only (before every test): B knows it from A, and from nothing else. */
    @Test
    void aSeedRegisteredWithOneReplicaIsInTheAnswersOfTheOther() {
        String swarm = randomHex();

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
                assertThat(peersSeenBy(b, swarm, randomHex())).contains("seed-it"));
    }

    @Test
    void everyAnnounceThroughAIsVisibleThroughB() {
        int samples = Integer.getInteger("replica.samples", 100);
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < samples; i++) {
            String swarm = randomHex();
            String peer = randomHex();
            String observer = randomHex();
            long start = System.nanoTime();
            assertThat(announce(http, swarm, peer, "10.2.0.1", 7001, "started").status()).isEqualTo(200);
            await().atMost(Duration.ofSeconds(30)).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1))
                    .until(() -> peersSeenBy(b, swarm, observer).contains(peer));
            micros.add((System.nanoTime() - start) / 1_000);
        }
        Collections.sort(micros);
        System.out.printf("replica visibility A->B over %d announces: p50 %.1f ms, p99 %.1f ms, max %.1f ms%n",
                samples, micros.get(samples / 2) / 1e3, micros.get(Math.min(samples - 1, samples * 99 / 100)) / 1e3,
                micros.getLast() / 1e3);
        assertThat(micros).hasSize(samples);
    }
}
