package io.bootswarm.tracker.swarm;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.tracker.TrackerITSupport;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.test.annotation.DirtiesContext;
import org.springframework.test.context.TestPropertySource;

import java.net.URI;
import java.net.http.HttpRequest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The tracker as configured by default, with no trusted networks, replaying the SSRF attack: a caller
 * that names an address other than its connection's (JSON {@code host}, BitTorrent {@code ip}, a
 * seed's {@code peerHost}) is handed to the other peers at its connection's source address, IPv4 or
 * IPv6, and each such claim is counted.
 */
@DirtiesContext // its own context, closed when done; it leaves the status topic to the shared one
@TestPropertySource(properties = {
        "bootswarm.tracker.announce.trusted-networks=",
        "spring.kafka.listener.auto-startup=false"})
class UntrustedAddressIT extends TrackerITSupport {

    private static final String OVERRIDDEN = "bootswarm.tracker.announce.address.overridden";

    @Autowired
    MeterRegistry meters;



    private Response announce(String swarm, String peer, String host, int port) {
        return announceTo(uri("/api/v1/announce"), swarm, peer, host, port);
    }

    private Response announceTo(URI uri, String swarm, String peer, String host, int port) {
        Response r = send(HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"swarmId": "%s", "peerId": "%s", "host": "%s", "port": %d, "left": 1000}"""
                        .formatted(swarm, peer, host, port))).build());
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        return r;
    }

    private double overridden(String endpoint) {
        return meters.counter(OVERRIDDEN, "endpoint", endpoint).count();
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> bitTorrentAnnounce(String swarm, byte[] peerId, int port, String extra) {
        return (Map<String, Object>) Bencode.decode(getBytes("/announce/" + passkey() + "?info_hash="
                + escape(HexFormat.of().parseHex(swarm)) + "&peer_id=" + escape(peerId) + "&port=" + port
                + "&left=1000&compact=1" + extra).body());
    }

    @Test
    void aJsonAnnounceNamingAnotherAddressIsHandedOutAtItsSourceAddress() {
        String swarm = randomHex();
        String attacker = randomHex();
        double before = overridden("json-announce");

        announce(swarm, attacker, "10.1.2.3", 7001);
        Response victim = announce(swarm, randomHex(), "127.0.0.1", 7002);

        assertThat(victim.<List<String>>json("$.peers[?(@.peerId == '" + attacker + "')].host"))
                .containsExactly("127.0.0.1");
        assertThat(victim.<List<Integer>>json("$.peers[?(@.peerId == '" + attacker + "')].port")).containsExactly(7001);
        assertThat(victim.body()).doesNotContain("10.1.2.3");
        // the victim named its own address: not an override
        assertThat(overridden("json-announce")).isEqualTo(before + 1);
    }

    @Test
    void aBitTorrentAnnounceWithAnIpParameterIsHandedOutAtItsSourceAddress() {
        String swarm = randomHex();
        byte[] attacker = "-qB4650-attacker0001".getBytes();
        double before = overridden("bittorrent-announce");

        Map<String, Object> answer = bitTorrentAnnounce(swarm, attacker, 51413, "&ip=10.1.2.3");
        assertThat(answer).doesNotContainKey("failure reason");

        Response victim = announce(swarm, randomHex(), "127.0.0.1", 7002);
        String attackerHex = HexFormat.of().formatHex(attacker);
        assertThat(victim.<List<String>>json("$.peers[?(@.peerId == '" + attackerHex + "')].host"))
                .containsExactly("127.0.0.1");
        assertThat(victim.<List<Integer>>json("$.peers[?(@.peerId == '" + attackerHex + "')].port"))
                .containsExactly(51413);

        Map<String, Object> client = bitTorrentAnnounce(swarm, "-TR4060-victim000001".getBytes(), 51414, "");
        byte[] peers = (byte[]) client.get("peers");
        assertThat(peers).containsSequence(127, 0, 0, 1, 51413 >> 8, 51413 & 0xff);
        assertThat(HexFormat.of().formatHex(peers)).doesNotContain("0a010203");
        assertThat(overridden("bittorrent-announce")).isEqualTo(before + 1);
    }

    @Test
    void aSeedNamingAnotherAddressIsHandedOutAtItsSourceAddress() {
        double before = overridden("seed-registration");
        Response registered = post("/api/v1/seeds", """
                {"id": "rogue-seed", "peerHost": "10.1.2.3", "peerPort": 16999, "apiUrl": "%s"}"""
                .formatted(SEED.url()));
        assertThat(registered.status()).as(registered.body()).isEqualTo(204);

        Response victim = announce(randomHex(), randomHex(), "127.0.0.1", 7002);
        assertThat(victim.<List<String>>json("$.peers[?(@.peerId == 'rogue-seed')].host")).containsExactly("127.0.0.1");
        assertThat(victim.body()).doesNotContain("10.1.2.3");
        assertThat(get("/api/v1/seeds").<List<String>>json("$[?(@.id == 'rogue-seed')].peerHost"))
                .containsExactly("127.0.0.1");
        assertThat(overridden("seed-registration")).isEqualTo(before + 1);
    }

    @Test
    void anIpv6SourceIsStoredAtItsAddress() {
        String swarm = randomHex();
        String attacker = randomHex();

        announceTo(URI.create("http://[::1]:" + port + "/api/v1/announce"), swarm, attacker, "10.1.2.3", 7001);

        Response victim = announce(swarm, randomHex(), "127.0.0.1", 7002);
        assertThat(victim.<List<String>>json("$.peers[?(@.peerId == '" + attacker + "')].host"))
                .containsExactly("::1");
        Map<String, Object> client = bitTorrentAnnounce(swarm, "-TR4060-victim000002".getBytes(), 51414, "");
        byte[] loopback6 = new byte[18];
        loopback6[15] = 1;
        loopback6[16] = 7001 >> 8;
        loopback6[17] = (byte) (7001 & 0xff);
        assertThat((byte[]) client.get("peers6")).isEqualTo(loopback6);
    }
}
