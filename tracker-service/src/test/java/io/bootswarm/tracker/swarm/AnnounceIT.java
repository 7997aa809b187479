package io.bootswarm.tracker.swarm;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.tracker.TrackerITSupport;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

class AnnounceIT extends TrackerITSupport {

    @Autowired
    MeterRegistry meters;



    private Response announce(String swarm, String peer, String host, int port, long left, String event, Integer numWant) {
        return post("/api/v1/announce", """
                {"swarmId": "%s", "peerId": "%s", "host": "%s", "port": %d, "left": %d, "uploaded": 0,
                 "downloaded": 0, "event": %s, "numWant": %s}"""
                .formatted(swarm, peer, host, port, left, event == null ? "null" : "\"" + event + "\"", numWant));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> bdecode(HttpResponse<byte[]> r) {
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
        return (Map<String, Object>) Bencode.decode(r.body());
    }

    @Test
    void announceReturnsTheSeedAndTheOtherLivePeersButNotTheAsker() {
        String swarm = randomHex();
        String a = randomHex();
        String b = randomHex();

        Response first = announce(swarm, a, "10.0.0.1", 7001, 1000, "started", 50);
        assertThat(first.status()).as(first.body()).isEqualTo(200);
        assertThat(first.<Integer>json("$.interval")).isEqualTo(30);
        assertThat(first.<List<Object>>json("$.peers")).hasSize(1);
        assertThat(first.<String>json("$.peers[0].peerId")).isEqualTo("seed-it");
        assertThat(first.<String>json("$.peers[0].host")).isEqualTo("127.0.0.1");
        assertThat(first.<Integer>json("$.peers[0].port")).isEqualTo(SEED_PEER_PORT);
        assertThat(first.<Boolean>json("$.peers[0].seed")).isTrue();

        Response second = announce(swarm, b, "10.0.0.2", 7002, 0, "completed", null);
        assertThat(second.<List<String>>json("$.peers[*].peerId")).containsExactly("seed-it", a);
        assertThat(second.<List<Boolean>>json("$.peers[*].seed")).containsExactly(true, false);
        assertThat(second.<String>json("$.peers[1].host")).isEqualTo("10.0.0.1");
        assertThat(second.<Integer>json("$.complete")).isEqualTo(2);
        assertThat(second.<Integer>json("$.incomplete")).isEqualTo(1);

        Response again = announce(swarm, a, "10.0.0.1", 7001, 500, null, 50);
        assertThat(again.<List<String>>json("$.peers[*].peerId")).containsExactly("seed-it", b);
        assertThat(again.<List<Boolean>>json("$.peers[*].seed")).containsExactly(true, true);

        // an empty event is a regular announce
        assertThat(announce(swarm, a, "10.0.0.1", 7001, 500, "", 50).<List<String>>json("$.peers[*].peerId"))
                .containsExactly("seed-it", b);

        // numWant 0: only the seed
        assertThat(announce(swarm, a, "10.0.0.1", 7001, 500, null, 0).<List<String>>json("$.peers[*].peerId"))
                .containsExactly("seed-it");

        // stopped: gone at once
        Response stopped = announce(swarm, b, "10.0.0.2", 7002, 0, "stopped", null);
        assertThat(stopped.status()).isEqualTo(200);
        assertThat(stopped.<List<Object>>json("$.peers")).isEmpty();
        assertThat(announce(swarm, a, "10.0.0.1", 7001, 500, null, 50).<List<String>>json("$.peers[*].peerId"))
                .containsExactly("seed-it");
    }

    @Test
    void badAnnouncesAreRejectedWithProblems() {
        String swarm = randomHex();
        String peer = randomHex();
        assertInvalid(announce("xyz", peer, "10.0.0.1", 7001, 0, null, null), "swarmId");
        assertInvalid(announce(swarm.substring(2), peer, "10.0.0.1", 7001, 0, null, null), "swarmId");
        assertInvalid(announce(swarm, "g" + peer.substring(1), "10.0.0.1", 7001, 0, null, null), "peerId");
        assertInvalid(announce(swarm, peer, "10.0.0.1", 0, 0, null, null), "port");
        assertInvalid(announce(swarm, peer, "10.0.0.1", 65536, 0, null, null), "port");
        assertInvalid(announce(swarm, peer, "10.0.0.1", 7001, -1, null, null), "left");
        assertInvalid(announce(swarm, peer, "10.0.0.1", 7001, 0, "paused", null), "event");
        assertInvalid(announce(swarm, peer, "not a host", 7001, 0, null, null), "host");
        assertInvalid(announce(swarm, peer, "10.0.0.1", 7001, 0, null, -1), "numWant");
        assertInvalid(post("/api/v1/announce", """
                {"swarmId": "%s", "peerId": "%s", "host": "h", "port": 1, "left": 0, "uploaded": -5}"""
                .formatted(swarm, peer)), "uploaded");
        assertInvalid(post("/api/v1/announce", """
                {"swarmId": "%s", "peerId": "%s", "host": "h", "port": 1}""".formatted(swarm, peer)), "left");
        assertProblem(post("/api/v1/announce", "{\"swarmId\": [}"), 400, "malformed-body");

        // none of it joined the swarm
        Response probe = announce(swarm, randomHex(), "10.0.0.9", 7009, 10, null, null);
        assertThat(probe.<List<String>>json("$.peers[*].peerId")).containsExactly("seed-it");
    }

    private static void assertInvalid(Response r, String field) {
        assertProblem(r, 400, "invalid-request");
        assertThat(r.<List<String>>json("$.errors[*].field")).contains(field);
    }

    @Test
    void bitTorrentAnnounceWithBinaryInfoHashSharesTheSwarmAndAnswersCompactPeers() {
        byte[] infoHash = HexFormat.of().parseHex(randomHex());
        // bytes that break naive decoding: NUL, space, '%', '+', '&', '=', high bytes
        byte[] tricky = {0x00, 0x20, 0x25, 0x2b, 0x26, 0x3d, (byte) 0xff, (byte) 0x80};
        System.arraycopy(tricky, 0, infoHash, 0, tricky.length);
        String swarm = HexFormat.of().formatHex(infoHash);
        byte[] peerId = ("-qB4650-" + Long.toString(ThreadLocalRandom.current().nextLong(1L << 59, Long.MAX_VALUE), 36)
                .substring(0, 12)).getBytes(StandardCharsets.US_ASCII);
        String agent = randomHex();
        assertThat(announce(swarm, agent, "10.1.2.3", 7000, 4096, "started", null).status()).isEqualTo(200);

        Map<String, Object> body = bdecode(getBytes("/announce/" + passkey() + "?info_hash=" + escape(infoHash) + "&peer_id="
                + escape(peerId) + "&port=51413&uploaded=0&downloaded=0&left=1048576&event=started&compact=1"
                + "&numwant=50&key=1a2b3c"));

        assertThat(body).doesNotContainKey("failure reason");
        assertThat(body.get("interval")).isEqualTo(30L);
        assertThat(body.get("complete")).isEqualTo(1L);
        assertThat(body.get("incomplete")).isEqualTo(2L);
        ByteArrayOutputStream expected = new ByteArrayOutputStream();
        expected.writeBytes(new byte[]{127, 0, 0, 1, (byte) (SEED_PEER_PORT >> 8), (byte) SEED_PEER_PORT}); // the seed first
        expected.writeBytes(new byte[]{10, 1, 2, 3, 0x1b, 0x58}); // the agent, 10.1.2.3:7000
        assertThat((byte[]) body.get("peers")).isEqualTo(expected.toByteArray());

        // the JSON side sees the BitTorrent client, at its connection's address, with its peer id
        Response json = announce(swarm, agent, "10.1.2.3", 7000, 4096, null, null);
        assertThat(json.<List<String>>json("$.peers[*].peerId"))
                .containsExactly("seed-it", HexFormat.of().formatHex(peerId));
        assertThat(json.<String>json("$.peers[1].host")).isEqualTo("127.0.0.1");
        assertThat(json.<Integer>json("$.peers[1].port")).isEqualTo(51413);

        // non-compact: a list of dictionaries
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> peers = (List<Map<String, Object>>) bdecode(getBytes("/announce/" + passkey() + "?info_hash="
                + escape(infoHash) + "&peer_id=" + escape(peerId) + "&port=51413&left=1048576&compact=0")).get("peers");
        assertThat(peers).hasSize(2);
        assertThat(new String((byte[]) peers.get(1).get("ip"), StandardCharsets.US_ASCII)).isEqualTo("10.1.2.3");
        assertThat(peers.get(1).get("port")).isEqualTo(7000L);
        assertThat((byte[]) peers.get(1).get("peer id")).isEqualTo(HexFormat.of().parseHex(agent));

        // stopped leaves the swarm at once
        bdecode(getBytes("/announce/" + passkey() + "?info_hash=" + escape(infoHash) + "&peer_id=" + escape(peerId)
                + "&port=51413&left=1048576&event=stopped"));
        assertThat(announce(swarm, agent, "10.1.2.3", 7000, 4096, null, null).<List<String>>json("$.peers[*].peerId"))
                .containsExactly("seed-it");
    }

    @Test
    void bitTorrentAnnounceHonoursTheIpParameter() {
        byte[] infoHash = HexFormat.of().parseHex(randomHex());
        byte[] peerId = HexFormat.of().parseHex(randomHex());
        bdecode(getBytes("/announce/" + passkey() + "?info_hash=" + escape(infoHash) + "&peer_id=" + escape(peerId)
                + "&port=6999&left=0&ip=192.0.2.44"));
        Response json = announce(HexFormat.of().formatHex(infoHash), randomHex(), "10.1.2.3", 7000, 1, null, null);
        assertThat(json.<String>json("$.peers[1].host")).isEqualTo("192.0.2.44");
        assertThat(json.<Boolean>json("$.peers[1].seed")).isTrue();
    }

    @Test
    void callersFromTrustedNetworksKeepTheAddressTheyName() {
        String swarm = randomHex();
        String v4 = randomHex();
        String v6 = randomHex();
        byte[] client = HexFormat.of().parseHex(randomHex());
        double before = meters.find("bootswarm.tracker.announce.address.overridden").counters().stream()
                .mapToDouble(Counter::count).sum();

        announce(swarm, v4, "10.1.2.3", 7001, 10, null, null);
        Response fromV6 = send(HttpRequest.newBuilder(URI.create("http://[::1]:" + port + "/api/v1/announce"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("""
                        {"swarmId": "%s", "peerId": "%s", "host": "10.1.2.4", "port": 7002, "left": 10}"""
                        .formatted(swarm, v6))).build());
        assertThat(fromV6.status()).as(fromV6.body()).isEqualTo(200);
        bdecode(getBytes("/announce/" + passkey() + "?info_hash=" + escape(HexFormat.of().parseHex(swarm)) + "&peer_id="
                + escape(client) + "&port=7003&left=10&ip=10.1.2.5"));

        Response r = announce(swarm, randomHex(), "127.0.0.1", 7004, 10, null, null);
        assertThat(r.<List<String>>json("$.peers[?(@.peerId == '" + v4 + "')].host")).containsExactly("10.1.2.3");
        assertThat(r.<List<String>>json("$.peers[?(@.peerId == '" + v6 + "')].host")).containsExactly("10.1.2.4");
        assertThat(r.<List<String>>json("$.peers[?(@.peerId == '" + HexFormat.of().formatHex(client) + "')].host"))
                .containsExactly("10.1.2.5");
        assertThat(meters.find("bootswarm.tracker.announce.address.overridden").counters().stream()
                .mapToDouble(Counter::count).sum()).isEqualTo(before);
    }

    @Test
    void badBitTorrentAnnouncesGetAFailureReason() {
        byte[] peerId = HexFormat.of().parseHex(randomHex());
        Map<String, Object> shortHash = bdecode(getBytes("/announce/" + passkey() + "?info_hash=" + escape(new byte[19]) + "&peer_id="
                + escape(peerId) + "&port=6881&left=0"));
        assertThat(new String((byte[]) shortHash.get("failure reason"), StandardCharsets.UTF_8))
                .isEqualTo("info_hash must be 20 bytes, got 19");
        assertThat(shortHash).doesNotContainKey("peers");

        Map<String, Object> noHash = bdecode(getBytes("/announce"));
        assertThat(new String((byte[]) noHash.get("failure reason"), StandardCharsets.UTF_8)).isEqualTo("missing info_hash");

        Map<String, Object> badPort = bdecode(getBytes("/announce/" + passkey() + "?info_hash=" + escape(new byte[20]) + "&peer_id="
                + escape(peerId) + "&port=0&left=0"));
        assertThat(new String((byte[]) badPort.get("failure reason"), StandardCharsets.UTF_8)).isEqualTo("port must be 1-65535");
    }

    @Test
    void seedsRegisterAndAreListedWhileLive() {
        Response list = get("/api/v1/seeds");
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.<List<String>>json("$[?(@.id == 'seed-it')].apiUrl")).containsExactly(SEED.url());
        assertThat(list.<List<Integer>>json("$[?(@.id == 'seed-it')].peerPort")).containsExactly(SEED_PEER_PORT);

        Response bad = post("/api/v1/seeds", """
                {"id": "bad seed", "peerHost": "127.0.0.1", "peerPort": 70000, "apiUrl": "nope"}""");
        assertProblem(bad, 400, "invalid-request");
        assertThat(bad.<List<String>>json("$.errors[*].field")).containsExactlyInAnyOrder("apiUrl", "id", "peerPort");
        assertThat(get("/api/v1/seeds").<List<String>>json("$[*].id")).doesNotContain("bad seed");
    }
}
