package io.bootswarm.tracker.launch;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.events.EventCodec;
import io.bootswarm.common.events.LaunchStatus;
import io.bootswarm.common.events.LaunchStatus.State;
import io.bootswarm.tracker.TrackerITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.bootswarm.tracker.launch.KafkaProbe.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Forged and out-of-bounds status reports on the real Kafka topic, replaying the attack: a report
 * with sequence {@code Long.MAX_VALUE} and a rogue NBD URI, one from the future, one with an oversize
 * URI, one for a host outside the launch and one for no launch at all are dropped and counted by
 * reason; the launch keeps its genuine state and URI and the agent's next genuine report still applies.
 */
class LaunchStatusBoundsIT extends TrackerITSupport {

    private static final String DROPPED = "bootswarm.tracker.status.dropped";
    private static final String ROGUE = "nbd://203.0.113.66:10809/rogue";

    @Autowired
    MeterRegistry meters;

    private KafkaProbe kafka;

    @BeforeEach
    void kafka() {
        kafka = new KafkaProbe(INFRA.kafka());
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    private Map<String, Double> dropped() {
        return Stream.of("sequence-gap", "clock-skew", "oversize", "foreign-host", "unknown-launch")
                .collect(Collectors.toMap(r -> r, r -> meters.counter(DROPPED, "reason", r).count()));
    }

    /** A sequence as agents number their reports: their clock in microseconds. */
    private static long agentSequence() {
        return System.currentTimeMillis() * 1000;
    }

    private Response awaitLaunch(UUID id, String path, Object expected) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> expected.equals(get("/api/v1/launches/" + id).json(path)));
        return get("/api/v1/launches/" + id);
    }

    @Test
    void forgedReportsAreDroppedAndCountedAndGenuineOnesStillApply() {
        String a = hostName("ba");
        String b = hostName("bb");
        String outsider = hostName("bo");
        registerHost(a);
        registerHost(b);
        registerHost(outsider);
        Response created = post("/api/v1/launches", """
                {"imageId": "%s", "hosts": ["%s", "%s"]}""".formatted(SEED.addImage("bounded", 1 << 20), a, b));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        UUID id = uuid(created.json("$.id"));
        String genuine = "nbd://127.0.0.1:10809/" + id;
        long sequence = agentSequence();
        kafka.send(status(id, a, State.READY, sequence, genuine, null, 10, 100, 2_621_440, null));
        awaitLaunch(id, "$.hosts[0].state", "READY");
        Map<String, Double> before = dropped();

        // all keyed by the launch, so consumed in order, before the marker
        kafka.send(status(id, a, State.READY, Long.MAX_VALUE, ROGUE, null, 100, 100, 1, null));
        kafka.send(new LaunchStatus(UUID.randomUUID(), Instant.now().plus(Duration.ofHours(1)), id, a, State.READY,
                sequence + 1, ROGUE, null, 100, 100, 1, null));
        kafka.send(status(id, a, State.READY, sequence + 2, "nbd://127.0.0.1:10809/" + "x".repeat(3000), null,
                100, 100, 1, null));
        kafka.send(status(id, outsider, State.READY, sequence + 3, ROGUE, null, 100, 100, 1, null));
        kafka.sendRaw(id.toString(), EventCodec.encode(status(UUID.randomUUID(), a, State.READY, sequence + 4, ROGUE,
                null, 100, 100, 1, null)));
        kafka.send(status(id, b, State.PREPARING, 1, null, null, 7, 100, 77, null)); // the marker

        Response r = awaitLaunch(id, "$.hosts[1].piecesPresent", 7);
        assertThat(r.<String>json("$.hosts[0].state")).isEqualTo("READY");
        assertThat(r.<String>json("$.hosts[0].nbdUri")).isEqualTo(genuine);
        assertThat(r.<Integer>json("$.hosts[0].piecesPresent")).isEqualTo(10);
        assertThat(jdbc.queryForObject("select sequence from tracker.launch_hosts where launch_id = ? and host = ?",
                Long.class, id, a)).isEqualTo(sequence);
        assertThat(count("launch_hosts where host = '" + outsider + "'")).isZero();
        assertThat(dropped()).isEqualTo(Map.of(
                "sequence-gap", before.get("sequence-gap") + 1,
                "clock-skew", before.get("clock-skew") + 1,
                "oversize", before.get("oversize") + 1,
                "foreign-host", before.get("foreign-host") + 1,
                "unknown-launch", before.get("unknown-launch") + 1));

        // the agent's next report, numbered as agents do, goes through
        kafka.send(status(id, a, State.READY, Math.max(sequence + 1, agentSequence()), genuine, null, 40, 100,
                10_485_760, null));
        Response later = awaitLaunch(id, "$.hosts[0].piecesPresent", 40);
        assertThat(later.<String>json("$.hosts[0].nbdUri")).isEqualTo(genuine);
        assertThat(later.<String>json("$.hosts[0].state")).isEqualTo("READY");
    }
}
