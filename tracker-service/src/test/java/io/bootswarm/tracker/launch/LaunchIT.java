package io.bootswarm.tracker.launch;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.events.LaunchCommand;
import io.bootswarm.common.launch.LaunchOptions;
import io.bootswarm.common.events.LaunchStatus.State;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.bootswarm.tracker.launch.KafkaProbe.status;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class LaunchIT extends TrackerITSupport {

    private KafkaProbe kafka;

    @BeforeEach
    void kafka() {
        kafka = new KafkaProbe(INFRA.kafka());
    }

    @AfterEach
    void closeKafka() {
        kafka.close();
    }

    private Response launch(UUID image, List<String> hosts, String... headers) {
        String json = """
                {"imageId": "%s", "hosts": [%s]}""".formatted(image,
                String.join(", ", hosts.stream().map(h -> "\"" + h + "\"").toList()));
        return post("/api/v1/launches", json, headers);
    }

    private Response awaitLaunch(UUID id, String path, Object expected) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(100))
                .until(() -> expected.equals(get("/api/v1/launches/" + id).json(path)));
        return get("/api/v1/launches/" + id);
    }

    @Test
    void aLaunchSendsOneStartPerHostAndBecomesReadyFromAgentReports() {
        String a = hostName("la");
        String b = hostName("lb");
        registerHost(a);
        registerHost(b);
        UUID image = SEED.addImage("debian-13", 4L << 30);
        Map<String, Long> before = launchRows();

        Response created = launch(image, List.of(a, b));

        assertThat(created.status()).as(created.body()).isEqualTo(201);
        UUID id = uuid(created.json("$.id"));
        assertThat(created.header("Location")).endsWith("/api/v1/launches/" + id);
        assertThat(created.<String>json("$.imageId")).isEqualTo(image.toString());
        assertThat(created.<String>json("$.imageName")).isEqualTo("debian-13");
        assertThat(created.<Number>json("$.imageSize").longValue()).isEqualTo(4L << 30);
        assertThat(created.<String>json("$.state")).isEqualTo("PENDING");
        assertThat(created.<List<String>>json("$.hosts[*].host")).containsExactly(a, b);
        assertThat(created.<List<String>>json("$.hosts[*].state")).containsExactly("PENDING", "PENDING");
        assertThat(launchRows()).isEqualTo(Map.of("launches", before.get("launches") + 1,
                "launch_hosts", before.get("launch_hosts") + 2, "outbox", before.get("outbox") + 2));

        List<KafkaProbe.Received> commands = kafka.commands(id, 2, Duration.ofSeconds(2));
        assertThat(commands).hasSize(2);
        assertThat(commands).extracting(KafkaProbe.Received::key).containsExactlyInAnyOrder(a, b);
        assertThat(commands).allSatisfy(c -> {
            assertThat(c.command().action()).isEqualTo(LaunchCommand.Action.START);
            assertThat(c.command().imageId()).isEqualTo(image);
            assertThat(c.command().host()).isEqualTo(c.key());
            assertThat(c.command().options()).as("defaults resolved by the tracker")
                    .isEqualTo(new LaunchCommand.Options("default", LaunchOptions.Policy.PROFILE, 32, false));
        });
        assertThat(created.<String>json("$.options.policy")).isEqualTo("PROFILE");
        await().atMost(Duration.ofSeconds(10)).until(() -> jdbc.queryForObject(
                "select count(*) from tracker.outbox where published_at is null and payload like ?", Long.class,
                "%" + id + "%") == 0);

        kafka.send(status(id, a, State.PREPARING, 1, null, null, 10, 100, 2_621_440, null));
        Response preparing = awaitLaunch(id, "$.hosts[0].state", "PREPARING");
        assertThat(preparing.<String>json("$.state")).isEqualTo("PREPARING");
        assertThat(preparing.<Integer>json("$.hosts[0].piecesPresent")).isEqualTo(10);

        kafka.send(status(id, a, State.READY, 2, "nbd://127.0.0.1:10809/" + id, "nbd+unix:///" + id + "?socket=/run/a.sock",
                12, 100, 3_145_728, null));
        kafka.send(status(id, b, State.READY, 1, "nbd://127.0.0.2:10809/" + id, null, 0, 100, 0, null));
        Response ready = awaitLaunch(id, "$.state", "READY");
        assertThat(ready.<List<String>>json("$.hosts[*].state")).containsExactly("READY", "READY");
        assertThat(ready.<String>json("$.hosts[0].nbdUri")).isEqualTo("nbd://127.0.0.1:10809/" + id);
        assertThat(ready.<String>json("$.hosts[0].nbdUnixUri")).isEqualTo("nbd+unix:///" + id + "?socket=/run/a.sock");
        assertThat(ready.<Integer>json("$.hosts[0].piecesPresent")).isEqualTo(12);
        assertThat(ready.<Integer>json("$.hosts[0].piecesTotal")).isEqualTo(100);
        assertThat(ready.<Number>json("$.hosts[0].bytesFetched").longValue()).isEqualTo(3_145_728L);
        assertThat(ready.<String>json("$.hosts[1].nbdUri")).isEqualTo("nbd://127.0.0.2:10809/" + id);
        assertThat(ready.<String>json("$.hosts[1].nbdUnixUri")).isNull();
        assertThat(Instant.parse(ready.json("$.hosts[0].updatedAt"))).isAfter(Instant.parse(ready.json("$.createdAt")));
    }

    @Test
    void launchOptionsReachTheAgentsInTheirCommands() {
        String a = hostName("lo");
        registerHost(a);
        UUID image = SEED.addImage("with-options", 1L << 30);
        Response created = post("/api/v1/launches", """
                {"imageId": "%s", "hosts": ["%s"],
                 "options": {"workload": "web-bench", "policy": "DEMAND", "window": 4, "backgroundFill": true}}"""
                .formatted(image, a));
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        UUID id = uuid(created.json("$.id"));
        assertThat(created.<String>json("$.options.workload")).isEqualTo("web-bench");
        List<KafkaProbe.Received> commands = kafka.commands(id, 1, Duration.ofSeconds(2));
        assertThat(commands).singleElement().satisfies(c -> assertThat(c.command().options())
                .isEqualTo(new LaunchCommand.Options("web-bench", LaunchOptions.Policy.DEMAND, 4, true)));
        assertThat(get("/api/v1/launches/" + id).<Boolean>json("$.options.backgroundFill")).isTrue();
    }

    @Test
    void repeatedLateAndUndecodableReportsDoNotRegressState() {
        String a = hostName("oa");
        String b = hostName("ob");
        registerHost(a);
        registerHost(b);
        UUID id = uuid(launch(SEED.addImage("ubuntu", 1 << 20), List.of(a, b)).json("$.id"));

        kafka.send(status(id, a, State.READY, 5, "nbd://h:1/x", null, 40, 40, 1000, null));
        awaitLaunch(id, "$.hosts[0].state", "READY");

        // same launch key, so these are consumed in order, before the marker below
        kafka.send(status(id, a, State.PREPARING, 3, null, null, 20, 40, 500, null));     // late
        kafka.send(status(id, a, State.READY, 5, "nbd://other:1/x", null, 1, 40, 1, null)); // repeated sequence
        kafka.send(status(id, a, State.FAILED, 4, null, null, 0, 40, 0, "late failure"));  // late
        kafka.sendRaw(id.toString(), "this is not JSON");
        kafka.sendRaw(id.toString(), "{\"type\":\"launch-status.v1\",\"launchId\":\"not-a-uuid\"}");
        kafka.sendRaw(id.toString(), null);
        kafka.sendRaw(id.toString(), "{\"type\":\"something-new.v9\",\"x\":1}");
        kafka.send(status(UUID.randomUUID(), a, State.READY, 1, "nbd://x:1/y", null, 1, 1, 1, null)); // unknown launch
        kafka.send(status(id, "no-such-host", State.READY, 1, "nbd://x:1/y", null, 1, 1, 1, null));  // unknown host
        kafka.send(status(id, b, State.PREPARING, 1, null, null, 7, 40, 77, null));                   // the marker

        Response r = awaitLaunch(id, "$.hosts[1].piecesPresent", 7);
        assertThat(r.<String>json("$.hosts[0].state")).isEqualTo("READY");
        assertThat(r.<String>json("$.hosts[0].nbdUri")).isEqualTo("nbd://h:1/x");
        assertThat(r.<Integer>json("$.hosts[0].piecesPresent")).isEqualTo(40);
        assertThat(r.<String>json("$.hosts[0].detail")).isNull();
        assertThat(r.<String>json("$.state")).isEqualTo("PREPARING");
        assertThat(r.<List<String>>json("$.hosts[*].host")).containsExactly(a, b);
        assertThat(jdbc.queryForObject("select sequence from tracker.launch_hosts where launch_id = ? and host = ?",
                Long.class, id, a)).isEqualTo(5);
        assertThat(count("launch_hosts where host = 'no-such-host'")).isZero();

        // the listener is still alive: a newer report goes through
        kafka.send(status(id, b, State.FAILED, 2, null, null, 7, 40, 77, "disk full"));
        Response partial = awaitLaunch(id, "$.state", "PARTIAL");
        assertThat(partial.<String>json("$.hosts[1].state")).isEqualTo("FAILED");
        assertThat(partial.<String>json("$.hosts[1].detail")).isEqualTo("disk full");
    }

    @Test
    void theSameIdempotencyKeyReturnsTheSameLaunchAndSendsNothingMore() {
        String a = hostName("ia");
        String b = hostName("ib");
        registerHost(a);
        registerHost(b);
        UUID image = SEED.addImage("alpine", 1 << 24);
        String key = "orchestrator-req-" + UUID.randomUUID();

        Response first = launch(image, List.of(a, b), "Idempotency-Key", key);
        assertThat(first.status()).isEqualTo(201);
        UUID id = uuid(first.json("$.id"));
        Map<String, Long> after = launchRows();

        Response again = launch(image, List.of(a, b), "Idempotency-Key", key);
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.body()).isEqualTo(first.body());
        assertThat(again.header("Location")).endsWith("/api/v1/launches/" + id);
        // the same hosts in another order are the same request
        Response reordered = launch(image, List.of(b, a), "Idempotency-Key", key);
        assertThat(reordered.status()).isEqualTo(200);
        assertThat(reordered.<String>json("$.id")).isEqualTo(id.toString());

        Response otherHosts = launch(image, List.of(a), "Idempotency-Key", key);
        assertProblem(otherHosts, 409, "idempotency-key-reused");
        assertThat(otherHosts.<String>json("$.launchId")).isEqualTo(id.toString());
        assertProblem(launch(SEED.addImage("other", 1), List.of(a, b), "Idempotency-Key", key), 409,
                "idempotency-key-reused");
        assertThat(launchRows()).isEqualTo(after);

        assertThat(kafka.commands(id, 2, Duration.ofSeconds(2))).hasSize(2);

        // without the key, the same request is a new launch (the hosts heartbeat, as agents do)
        post("/api/v1/hosts/" + a + "/heartbeat", "");
        post("/api/v1/hosts/" + b + "/heartbeat", "");
        Response fresh = launch(image, List.of(a, b));
        assertThat(fresh.status()).isEqualTo(201);
        assertThat(fresh.<String>json("$.id")).isNotEqualTo(id.toString());
    }

    @Test
    void deleteSendsOneStopPerHostAndTheLaunchEndsStopped() {
        String a = hostName("da");
        String b = hostName("db");
        registerHost(a);
        registerHost(b);
        UUID image = SEED.addImage("fedora", 1 << 20);
        UUID id = uuid(launch(image, List.of(a, b)).json("$.id"));
        long outbox = count("outbox");

        Response stop = delete("/api/v1/launches/" + id);
        assertThat(stop.status()).isEqualTo(202);
        assertThat(stop.<String>json("$.stopRequestedAt")).isNotNull();
        assertThat(count("outbox")).isEqualTo(outbox + 2);
        assertThat(delete("/api/v1/launches/" + id).status()).isEqualTo(202);
        assertThat(count("outbox")).isEqualTo(outbox + 2);

        List<KafkaProbe.Received> commands = kafka.commands(id, 4, Duration.ofSeconds(2));
        assertThat(commands).extracting(c -> c.command().action() + " " + c.key()).containsExactlyInAnyOrder(
                "START " + a, "START " + b, "STOP " + a, "STOP " + b);

        kafka.send(status(id, a, State.STOPPED, 1, null, null, 0, 10, 0, null));
        kafka.send(status(id, b, State.STOPPED, 1, null, null, 0, 10, 0, null));
        awaitLaunch(id, "$.state", "STOPPED");

        assertProblem(delete("/api/v1/launches/" + UUID.randomUUID()), 404, "unknown-launch");
    }

    @Test
    void launchesAreListedMostRecentFirstInPages() {
        String a = hostName("pa");
        registerHost(a);
        UUID image = SEED.addImage("paged", 1);
        List<String> ids = new java.util.ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(launch(image, List.of(a)).json("$.id"));
        }

        Response page0 = get("/api/v1/launches?page=0&size=2");
        assertThat(page0.status()).isEqualTo(200);
        assertThat(page0.<List<String>>json("$.items[*].id")).containsExactly(ids.get(2), ids.get(1));
        assertThat(page0.<Integer>json("$.size")).isEqualTo(2);
        assertThat(page0.<Integer>json("$.totalElements")).isGreaterThanOrEqualTo(3);
        assertThat(page0.<List<String>>json("$.items[0].hosts[*].host")).containsExactly(a);
        assertThat(page0.<List<String>>json("$.items[*].state")).containsOnly("PENDING");
        Response page1 = get("/api/v1/launches?page=1&size=2");
        assertThat(page1.<String>json("$.items[0].id")).isEqualTo(ids.get(0));

        assertProblem(get("/api/v1/launches?size=0"), 400, "invalid-request");
        assertProblem(get("/api/v1/launches?size=101"), 400, "invalid-request");
        assertProblem(get("/api/v1/launches?page=-1"), 400, "invalid-request");
        assertProblem(get("/api/v1/launches?page=x"), 400, "bad-parameter");
    }

    @Test
    void createdLaunchesAreCounted() {
        String a = hostName("ma");
        registerHost(a);
        launch(SEED.addImage("metric", 1), List.of(a));
        assertThat(get("/actuator/prometheus").body()).containsPattern("bootswarm_tracker_launches_total\\{.*} [1-9]");
    }
}
