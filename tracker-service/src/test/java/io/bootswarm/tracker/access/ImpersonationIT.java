package io.bootswarm.tracker.access;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The attacks of a compromised agent (or anyone with a token) on other hosts' entries, replayed:
 * registering or heartbeating under another host's name, announcing under another agent's peer id,
 * registering as a seed without the seed role.
 */
class ImpersonationIT extends TrackerITSupport {

    private static String registration(String name, String peerHost) {
        return """
                {"name": "%s", "apiUrl": "http://%s:8082", "peerHost": "%s", "peerPort": 6882}"""
                .formatted(name, peerHost, peerHost);
    }

    @Test
    void anAgentCannotRegisterOrHeartbeatAsAnotherHost() {
        String victim = hostName("victim");
        String attacker = hostName("attacker");
        registerHost(victim);
        String before = get("/api/v1/hosts/" + victim).body();

        Response takeover = post("/api/v1/hosts", registration(victim, "10.66.6.6"),
                "Authorization", "Bearer " + hostToken(attacker));
        Response beat = post("/api/v1/hosts/" + victim + "/heartbeat", "", "Authorization", "Bearer " + hostToken(attacker));

        assertProblem(takeover, 403, "foreign-host");
        assertProblem(beat, 403, "foreign-host");
        assertThat(get("/api/v1/hosts/" + victim).<String>json("$.peerHost")).isEqualTo("127.0.0.1");
        assertThat(get("/api/v1/hosts/" + victim).body()).isEqualTo(before);
    }

    @Test
    void aPeerIdBelongsToTheClientThatAnnouncedItFirst() {
        String swarm = "ab".repeat(20);
        String peerId = HexFormat.of().formatHex("-BS0001-victimpeer01".getBytes());
        String announce = """
                {"swarmId": "%s", "peerId": "%s", "host": "127.0.0.1", "port": %d, "left": 0,
                 "event": "started", "numWant": 0}""";
        String victimToken = hostToken(hostName("v"));
        String attackerToken = hostToken(hostName("a"));

        Response first = post("/api/v1/announce", announce.formatted(swarm, peerId, 7001), "Authorization", "Bearer " + victimToken);
        Response stolen = post("/api/v1/announce", announce.formatted(swarm, peerId, 7666), "Authorization", "Bearer " + attackerToken);
        Response again = post("/api/v1/announce", announce.formatted(swarm, peerId, 7001), "Authorization", "Bearer " + victimToken);

        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertProblem(stolen, 403, "peer-id-taken");
        assertThat(again.status()).isEqualTo(200);
    }

    @Test
    void onlyASeedClientRegistersASeedAndAnonymousCallersGetNothing() {
        String seed = """
                {"id": "rogue-seed", "peerHost": "10.66.6.6", "peerPort": 6881, "apiUrl": "http://10.66.6.6:8081"}""";

        Response asAgent = post("/api/v1/seeds", seed, "Authorization", "Bearer " + hostToken(hostName("rogue")));
        Response asAdmin = post("/api/v1/seeds", seed, "Authorization", "Bearer " + INFRA.auth().token("only-admin",
                java.util.Set.of("admin"), null));
        Response anonymous = send(java.net.http.HttpRequest.newBuilder(uri("/api/v1/seeds"))
                .header("Content-Type", "application/json").header("Authorization", "Bearer not-a-jwt")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(seed)).build());

        assertProblem(asAgent, 403, "forbidden");
        assertProblem(asAdmin, 403, "forbidden");
        assertProblem(anonymous, 401, "unauthorized");
        assertThat(get("/api/v1/seeds").body()).doesNotContain("rogue-seed");
    }
}
