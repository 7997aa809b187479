package io.bootswarm.agent.tracker;

import io.bootswarm.agent.swarm.Announcer;
import io.bootswarm.agent.swarm.Peer;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenIssuer;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The agent's calls to the tracker, against a tracker played by a JDK HTTP server: what is sent, what is read back. */
class TrackerClientTest {

    static final JsonMapper JSON = JsonMapper.builder().build();

    final StubTracker tracker;
    final TrackerClient client;
    final SwarmId swarm = SwarmId.of(new byte[SwarmId.BYTES]);
    final byte[] peerId = "-BS0100-trackertest1".getBytes();

    TrackerClientTest() throws IOException {
        tracker = new StubTracker();
        client = tracker.client();
    }

    @AfterEach
    void close() {
        client.close();
        tracker.close();
    }

    @Test
    void anAnnounceSaysWhereTheHostStandsAndReadsPeersAgentIdsAndToken() throws IOException {
        PeerToken token = new PeerTokenIssuer(ManifestSignature.generateKeyPair().getPrivate(), new ManualClock(),
                Duration.ofMinutes(10)).issue(swarm, peerId);
        tracker.answer = r -> StubTracker.Response.ok("""
                {"interval": 0, "peerToken": "%s", "peers": [
                  {"peerId": "aa", "host": "10.0.0.1", "port": 6881, "seed": false, "crossImage": false},
                  {"peerId": "bb", "host": "10.0.0.2", "port": 6882, "seed": true, "crossImage": false},
                  {"peerId": "cc", "host": "10.0.0.3", "port": 6883, "seed": false, "crossImage": true},
                  {"peerId": null, "host": "10.0.0.4", "port": 6884, "seed": false, "crossImage": false}]}
                """.formatted(token.toBase64()));

        Announcer.Result r = client.announce(new Announcer.Announce(swarm, peerId, 6881, 100, 20, 30, "started"));

        assertThat(tracker.paths()).containsExactly("POST /api/v1/announce");
        JsonNode sent = JSON.readTree(tracker.requests.getFirst().body());
        assertThat(sent.get("swarmId").asString()).isEqualTo(swarm.hex());
        assertThat(sent.get("peerId").asString()).isEqualTo(HexFormat.of().formatHex(peerId));
        assertThat(sent.get("host").asString()).isEqualTo("10.0.0.7");
        assertThat(sent.get("port").asInt()).isEqualTo(6881);
        assertThat(sent.get("left").asLong()).isEqualTo(100);
        assertThat(sent.get("uploaded").asLong()).isEqualTo(20);
        assertThat(sent.get("downloaded").asLong()).isEqualTo(30);
        assertThat(sent.get("event").asString()).isEqualTo("started");
        assertThat(sent.get("numWant").asInt()).isEqualTo(TrackerClient.NUM_WANT);

        assertThat(r.interval()).as("at least a second").isEqualTo(Duration.ofSeconds(1));
        assertThat(r.peers()).containsExactly(new Peer("10.0.0.1", 6881, false), new Peer("10.0.0.2", 6882, true),
                new Peer("10.0.0.3", 6883, false), new Peer("10.0.0.4", 6884, false));
        assertThat(r.agentIds()).as("the swarm's own agents: no seed, no other image's peer, no anonymous peer")
                .containsExactly("aa");
        assertThat(r.peerToken()).isEqualTo(token.encode());
    }

    @Test
    void anAnswerWithoutTokenHasNoneAndAMalformedTokenIsAnError() throws IOException {
        tracker.answer = r -> StubTracker.Response.ok("{\"interval\": 30, \"peers\": []}");
        Announcer.Result r = client.announce(new Announcer.Announce(swarm, peerId, 1, 0, 0, 0, null));
        assertThat(r.peerToken()).isNull();
        assertThat(r.interval()).isEqualTo(Duration.ofSeconds(30));
        assertThat(JSON.readTree(tracker.requests.getFirst().body()).get("event").isNull()).isTrue();

        tracker.answer = x -> StubTracker.Response.ok("{\"interval\": 30, \"peers\": [], \"peerToken\": \"bm90IGEgdG9rZW4=\"}");
        assertThatThrownBy(() -> client.announce(new Announcer.Announce(swarm, peerId, 1, 0, 0, 0, null)))
                .isInstanceOf(IOException.class).hasMessageContaining("malformed peer token");
    }

    @Test
    void registrationAndHeartbeatAndTheHeartbeatOfAForgottenHost() throws IOException {
        client.register("host-1", "http://10.0.0.7:8082", 6881);
        assertThat(client.heartbeat("host-1")).isTrue();
        tracker.answer = r -> new StubTracker.Response(404, "");
        assertThat(client.heartbeat("host-1")).isFalse();

        assertThat(tracker.paths()).containsExactly("POST /api/v1/hosts", "POST /api/v1/hosts/host-1/heartbeat",
                "POST /api/v1/hosts/host-1/heartbeat");
        JsonNode registration = JSON.readTree(tracker.requests.getFirst().body());
        assertThat(registration.get("name").asString()).isEqualTo("host-1");
        assertThat(registration.get("apiUrl").asString()).isEqualTo("http://10.0.0.7:8082");
        assertThat(registration.get("peerHost").asString()).isEqualTo("10.0.0.7");
        assertThat(registration.get("peerPort").asInt()).isEqualTo(6881);
    }

    @Test
    void aTrackerErrorIsAnIOExceptionAndSeedsAreListed() throws IOException {
        tracker.answer = r -> StubTracker.Response.ok("""
                [{"id": "s1", "peerHost": "10.0.0.9", "peerPort": 6881, "apiUrl": "http://10.0.0.9:8081"}]""");
        assertThat(client.seeds()).containsExactly(new TrackerClient.SeedInfo("s1", "10.0.0.9", 6881,
                "http://10.0.0.9:8081"));

        tracker.answer = r -> new StubTracker.Response(500, "{}");
        assertThatThrownBy(() -> client.heartbeat("host-1")).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> client.announce(new Announcer.Announce(swarm, peerId, 1, 0, 0, 0, null)))
                .isInstanceOf(IOException.class);
    }
}
