package io.bootswarm.tracker.hosts;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class HostRegistryIT extends TrackerITSupport {

    @Test
    void registeredHostIsUpAndListedAndPersisted() {
        String name = hostName("reg");
        Response r = post("/api/v1/hosts", """
                {"name": "%s", "apiUrl": "http://10.0.1.7:8082", "peerHost": "10.0.1.7", "peerPort": 6882}"""
                .formatted(name));

        assertThat(r.status()).isEqualTo(200);
        assertThat(r.<String>json("$.name")).isEqualTo(name);
        assertThat(r.<String>json("$.apiUrl")).isEqualTo("http://10.0.1.7:8082");
        assertThat(r.<String>json("$.peerHost")).isEqualTo("10.0.1.7");
        assertThat(r.<Integer>json("$.peerPort")).isEqualTo(6882);
        assertThat(r.<String>json("$.state")).isEqualTo("UP");
        assertThat(Instant.parse(r.json("$.lastHeartbeat"))).isCloseTo(Instant.now(), org.assertj.core.api.Assertions.within(5, java.time.temporal.ChronoUnit.SECONDS));
        assertThat(r.<String>json("$.registeredAt")).isEqualTo(r.json("$.lastHeartbeat"));

        Response one = get("/api/v1/hosts/" + name);
        assertThat(one.status()).isEqualTo(200);
        assertThat(one.<String>json("$.state")).isEqualTo("UP");
        assertThat(one.<String>json("$.apiUrl")).isEqualTo("http://10.0.1.7:8082");

        Response all = get("/api/v1/hosts");
        assertThat(all.<List<String>>json("$[?(@.name == '" + name + "')].state")).containsExactly("UP");

        assertThat(jdbc.queryForObject("select peer_host from tracker.hosts where name = ?", String.class, name))
                .isEqualTo("10.0.1.7");
    }

    @Test
    void reRegisteringUpdatesAddressesAndKeepsTheFirstRegistrationTime() {
        String name = hostName("rereg");
        String first = registerHost(name).json("$.registeredAt");
        Response again = post("/api/v1/hosts", """
                {"name": "%s", "apiUrl": "http://10.0.2.2:9000", "peerHost": "agent.example", "peerPort": 7000}"""
                .formatted(name));
        assertThat(again.status()).isEqualTo(200);
        assertThat(again.<String>json("$.registeredAt")).isEqualTo(first);
        assertThat(again.<String>json("$.peerHost")).isEqualTo("agent.example");
        assertThat(again.<Integer>json("$.peerPort")).isEqualTo(7000);
        assertThat(Instant.parse(again.json("$.lastHeartbeat"))).isAfterOrEqualTo(Instant.parse(first));
        assertThat(jdbc.queryForObject("select count(*) from tracker.hosts where name = ?", Long.class, name)).isEqualTo(1);
    }

    @Test
    void hostGoesDownWithoutHeartbeatsAndComesBackUpWithOne() {
        String name = hostName("beat");
        registerHost(name);

        // when exactly a host goes DOWN (not before the timeout, and heartbeats keep it UP) is HostLivenessTest's,
        // on a clock it moves by hand; here, that the running service gets there on its own and back
        assertThat(post("/api/v1/hosts/" + name + "/heartbeat", "").status()).isEqualTo(204);
        assertThat(get("/api/v1/hosts/" + name).<String>json("$.state")).isEqualTo("UP");

        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100))
                .until(() -> get("/api/v1/hosts/" + name).<String>json("$.state").equals("DOWN"));
        assertThat(get("/api/v1/hosts").<List<String>>json("$[?(@.name == '" + name + "')].state"))
                .containsExactly("DOWN");

        assertThat(post("/api/v1/hosts/" + name + "/heartbeat", "").status()).isEqualTo(204);
        assertThat(get("/api/v1/hosts/" + name).<String>json("$.state")).isEqualTo("UP");
    }

    @Test
    void heartbeatOfAnUnknownHostIsANotFoundProblem() {
        String name = hostName("ghost");
        Response r = post("/api/v1/hosts/" + name + "/heartbeat", "");
        assertProblem(r, 404, "unknown-host");
        assertThat(r.<String>json("$.host")).isEqualTo(name);
        assertProblem(get("/api/v1/hosts/" + name), 404, "unknown-host");
        assertThat(count("hosts where name = '" + name + "'")).isZero();
    }

    @Test
    void invalidRegistrationsAreRejectedAndStoreNothing() {
        long before = count("hosts");
        String name = hostName("bad");
        assertInvalid("""
                {"name": "Host_A", "apiUrl": "http://h:1", "peerHost": "h", "peerPort": 1}""", "name");
        assertInvalid("""
                {"name": "%s", "apiUrl": "ftp://h:1", "peerHost": "h", "peerPort": 1}""".formatted(name), "apiUrl");
        assertInvalid("""
                {"name": "%s", "apiUrl": "http://h:1", "peerHost": "bad host!", "peerPort": 1}""".formatted(name), "peerHost");
        assertInvalid("""
                {"name": "%s", "apiUrl": "http://h:1", "peerHost": "h", "peerPort": 0}""".formatted(name), "peerPort");
        assertInvalid("""
                {"name": "%s", "apiUrl": "http://h:1", "peerHost": "h", "peerPort": 65536}""".formatted(name), "peerPort");
        assertInvalid("""
                {"name": "%s", "apiUrl": "http://h:1", "peerHost": "h"}""".formatted(name), "peerPort");
        assertInvalid("""
                {"name": "%s"}""".formatted("a".repeat(64)), "name");

        Response malformed = post("/api/v1/hosts", "{\"name\": ");
        assertProblem(malformed, 400, "malformed-body");
        Response wrongType = post("/api/v1/hosts", """
                {"name": "%s", "apiUrl": "http://h:1", "peerHost": "h", "peerPort": "many"}""".formatted(name));
        assertProblem(wrongType, 400, "malformed-body");
        assertThat(wrongType.<String>json("$.detail")).contains("peerPort");

        assertThat(count("hosts")).isEqualTo(before);
    }

    private void assertInvalid(String body, String field) {
        Response r = post("/api/v1/hosts", body);
        assertProblem(r, 400, "invalid-request");
        assertThat(r.<List<String>>json("$.errors[*].field")).contains(field);
        assertThat(r.<String>json("$.detail")).contains(field);
    }

    @Test
    void hostGaugesAreExported() {
        registerHost(hostName("gauge"));
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            String metrics = get("/actuator/prometheus").body();
            assertThat(metrics).containsPattern("bootswarm_tracker_hosts\\{.*state=\"up\".*} [1-9]");
            assertThat(metrics).contains("bootswarm_tracker_seeds");
        });
        assertThat(get("/actuator/health").<String>json("$.status")).isEqualTo("UP");
    }

    @Test
    void openApiAndSwaggerUiDescribeTheApi() {
        Response docs = get("/v3/api-docs");
        assertThat(docs.status()).isEqualTo(200);
        assertThat(docs.<String>json("$.info.title")).isEqualTo("bootswarm tracker-service");
        assertThat(docs.<Map<String, Object>>json("$.paths")).containsKeys("/api/v1/hosts", "/api/v1/hosts/{name}/heartbeat",
                "/api/v1/seeds", "/api/v1/announce", "/announce", "/api/v1/launches", "/api/v1/launches/{id}");
        assertThat(docs.<String>json("$.paths['/api/v1/launches'].post.description")).contains("Idempotency-Key");
        assertThat(get("/swagger-ui/index.html").status()).isEqualTo(200);
    }
}
