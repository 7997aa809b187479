package io.bootswarm.tracker.peertoken;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenKey;
import io.bootswarm.common.peertoken.PeerTokenKeyring;
import io.bootswarm.common.peertoken.PeerTokenVerifier;
import io.bootswarm.common.peertoken.PeerTokenVerifier.Verdict;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The JSON announce hands out a peer access token for the swarm and the announcing peer id, verifiable
 * with the keys the tracker publishes; the key file is made owner-only on first start.
 */
class PeerTokenIT extends TrackerITSupport {

    static final String SWARM = "00112233445566778899aabbccddeeff00112233";
    static final String PEER = "2d42533031302d0102030405060708090a0b0c0d";

    private Response announce(String event) {
        return post("/api/v1/announce", """
                {"swarmId": "%s", "peerId": "%s", "host": "127.0.0.1", "port": 6999, "left": 10,
                 "event": %s}""".formatted(SWARM, PEER, event == null ? "null" : "\"" + event + "\""));
    }

    private PeerTokenVerifier verifierAt(Instant now) {
        Response keys = get("/api/v1/peer-token-keys");
        assertThat(keys.status()).as(keys.body()).isEqualTo(200);
        List<Map<String, String>> published = keys.json("$");
        assertThat(published).hasSize(1);
        PeerTokenKey key = new PeerTokenKey(published.getFirst().get("keyId"), published.getFirst().get("algorithm"),
                published.getFirst().get("publicKey"));
        return new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(key.toPublicKey())),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void anAnnounceCarriesATokenForItsSwarmAndPeer() throws Exception {
        Instant before = Instant.now();
        Response r = announce("started");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        PeerToken token = PeerToken.fromBase64(r.json("$.peerToken"));
        assertThat(token.swarm()).isEqualTo(SwarmId.parse(SWARM));
        assertThat(token.peerId()).isEqualTo(HexFormat.of().parseHex(PEER));
        assertThat(Instant.parse(r.json("$.peerTokenExpiresAt"))).isEqualTo(token.expiresAt());
        // the default time to live: ten minutes
        assertThat(token.expiresAt()).isAfter(before.plus(Duration.ofMinutes(10)).minusSeconds(1))
                .isBefore(Instant.now().plus(Duration.ofMinutes(10)).plusSeconds(2));

        byte[] bytes = token.encode();
        PeerTokenVerifier now = verifierAt(before);
        assertThat(now.verify(bytes, SwarmId.parse(SWARM), HexFormat.of().parseHex(PEER))).isEqualTo(Verdict.VALID);
        assertThat(now.verify(bytes, SwarmId.parse(SWARM), HexFormat.of().parseHex(PEER.replace('d', 'e'))))
                .isEqualTo(Verdict.WRONG_PEER);
        assertThat(verifierAt(token.expiresAt()).verify(bytes, SwarmId.parse(SWARM), HexFormat.of().parseHex(PEER)))
                .isEqualTo(Verdict.EXPIRED);

        assertThat(Files.getPosixFilePermissions(PEER_TOKEN_KEY))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
    }

    @Test
    void aStoppedAnnounceGetsNoToken() {
        Response r = announce("stopped");
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        assertThat(r.body()).doesNotContain("peerToken");
    }
}
