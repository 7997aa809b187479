package io.bootswarm.tracker.stock;

import io.bootswarm.testing.TestHttp.Response;
import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.TorrentMetainfo;
import io.bootswarm.tracker.TrackerITSupport;
import org.junit.jupiter.api.Test;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Stock BitTorrent clients through passkeys: a caller's passkey (issued, replaced, revoked, stored
 * hashed), the BitTorrent announce refused without a current passkey or for a swarm not open to
 * stock clients, and the .torrent whose info dictionary is the seed's and whose announce URL
 * carries the caller's passkey. The caller is the subject of its token: one client per user at the
 * tests' authorization server.
 */
class StockClientsIT extends TrackerITSupport {

    /** A token of user {@code user}'s own client (role viewer): the passkey owner is its subject. */
    private static String userToken(String user) {
        return INFRA.auth().token(user, java.util.Set.of("viewer"), null);
    }

    private Response issue(String user) {
        return user == null
                ? sendAsIs(HttpRequest.newBuilder(uri("/api/v1/passkeys")).POST(HttpRequest.BodyPublishers.noBody()).build())
                : post("/api/v1/passkeys", "", "Authorization", "Bearer " + userToken(user));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> announce(String pathAndPasskey, String swarmHex) {
        HttpResponse<byte[]> r = getBytes(pathAndPasskey + (pathAndPasskey.contains("?") ? "&" : "?") + "info_hash="
                + escape(HexFormat.of().parseHex(swarmHex)) + "&peer_id=" + escape(HexFormat.of().parseHex(randomHex()))
                + "&port=6881&left=100&compact=1");
        assertThat(r.statusCode()).isEqualTo(200);
        return (Map<String, Object>) Bencode.decode(r.body());
    }

    private static String failure(Map<String, Object> answer) {
        Object reason = answer.get("failure reason");
        return reason == null ? null : new String((byte[]) reason, StandardCharsets.UTF_8);
    }

    @Test
    void aCallerGetsAPasskeyThatIsStoredOnlyHashed() {
        assertProblem(issue(null), 401, "unauthorized");

        Response first = issue("alice");
        assertThat(first.status()).as(first.body()).isEqualTo(201);
        String passkey = first.json("$.passkey");
        assertThat(passkey).matches("[0-9a-f]{32}");
        assertThat(first.<String>json("$.owner")).isEqualTo("alice");
        assertThat(first.<String>json("$.announceUrl")).isEqualTo("http://127.0.0.1:" + port + "/announce/" + passkey);
        List<Map<String, Object>> rows = jdbc.queryForList("select * from tracker.passkeys where owner = 'alice'");
        assertThat(rows).hasSize(1);
        assertThat(rows.getFirst().values().toString()).doesNotContain(passkey);
        assertThat((byte[]) rows.getFirst().get("passkey_hash")).hasSize(32);

        // issuing again replaces it; revoking removes it
        String second = issue("alice").json("$.passkey");
        assertThat(second).isNotEqualTo(passkey);
        String swarm = randomHex();
        assertThat(failure(announce("/announce/" + passkey, swarm))).isEqualTo("unknown or revoked passkey");
        assertThat(failure(announce("/announce/" + second, swarm))).isNull();
        assertThat(send(HttpRequest.newBuilder(uri("/api/v1/passkeys")).header("Authorization", "Bearer " + userToken("alice")).DELETE()
                .build()).status()).isEqualTo(204);
        assertThat(failure(announce("/announce/" + second, swarm))).isEqualTo("unknown or revoked passkey");
        assertProblem(send(HttpRequest.newBuilder(uri("/api/v1/passkeys")).header("Authorization", "Bearer " + userToken("alice")).DELETE()
                .build()), 404, "passkey-not-found");
    }

    @Test
    void theBitTorrentAnnounceNeedsAPasskeyAndAnOpenSwarm() {
        String passkey = issue("bob").json("$.passkey");
        String open = randomHex();
        String closed = randomHex();
        SEED.closeToStockClients(closed);

        assertThat(failure(announce("/announce", open))).startsWith("a passkey is required");
        assertThat(failure(announce("/announce/" + "0".repeat(32), open))).isEqualTo("unknown or revoked passkey");
        assertThat(failure(announce("/announce/not-a-passkey", open))).isEqualTo("unknown or revoked passkey");
        assertThat(failure(announce("/announce/" + passkey, closed)))
                .isEqualTo("this swarm is not open to BitTorrent clients");

        Map<String, Object> ok = announce("/announce/" + passkey, open);
        assertThat(failure(ok)).isNull();
        // the registered seed is handed out (compact, 6 bytes: 127.0.0.1 and its peer port)
        assertThat((byte[]) ok.get("peers")).hasSize(6);
        assertThat(failure(announce("/announce?passkey=" + passkey, open))).as("query form").isNull();

        // the seed's answer is cached: announcing again does not ask it
        int asked = SEED.stockRequests();
        assertThat(failure(announce("/announce/" + passkey, open))).isNull();
        assertThat(SEED.stockRequests()).isEqualTo(asked);
    }

    @Test
    void theTorrentHashesToTheSwarmAndAnnouncesWithTheCallersPasskey() throws Exception {
        byte[] sha1 = new byte[3 * 20];
        ThreadLocalRandom.current().nextBytes(sha1);
        byte[] info = Bencode.encode(TorrentMetainfo.infoDictionary("débian-12.img", 600_000, 262_144, sha1));
        UUID image = SEED.addStockImage(info, true);
        UUID closedImage = SEED.addStockImage(info, false);
        String passkey = issue("carol").json("$.passkey");
        String otherPasskey = issue("dave").json("$.passkey");

        HttpResponse<byte[]> r = http.exchange(HttpRequest.newBuilder(uri("/api/v1/images/" + image + "/torrent"))
                .header("Authorization", "Bearer " + userToken("carol")).header("Bootswarm-Passkey", passkey).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/x-bittorrent");
        Map<?, ?> torrent = (Map<?, ?>) Bencode.decode(r.body());
        assertThat(new String((byte[]) torrent.get("announce"), StandardCharsets.UTF_8))
                .isEqualTo("http://127.0.0.1:" + port + "/announce/" + passkey);
        assertThat(Bencode.encode(torrent.get("info"))).isEqualTo(info);
        // the info hash of the file's own info bytes is the swarm id the seed computed
        String text = new String(r.body(), StandardCharsets.ISO_8859_1);
        byte[] rawInfo = Arrays.copyOfRange(r.body(), text.indexOf("4:info") + 6, r.body().length - 1);
        assertThat(MessageDigest.getInstance("SHA-1").digest(rawInfo))
                .isEqualTo(MessageDigest.getInstance("SHA-1").digest(info));

        assertProblem(sendAsIs(HttpRequest.newBuilder(uri("/api/v1/images/" + image + "/torrent"))
                .header("Bootswarm-Passkey", passkey).build()), 401, "unauthorized");
        assertProblem(send(HttpRequest.newBuilder(uri("/api/v1/images/" + image + "/torrent"))
                .header("Authorization", "Bearer " + userToken("carol")).build()), 400, "passkey-required");
        assertProblem(send(HttpRequest.newBuilder(uri("/api/v1/images/" + image + "/torrent"))
                .header("Authorization", "Bearer " + userToken("carol")).header("Bootswarm-Passkey", otherPasskey).build()), 403,
                "passkey-not-yours");
        assertProblem(send(HttpRequest.newBuilder(uri("/api/v1/images/" + closedImage + "/torrent"))
                .header("Authorization", "Bearer " + userToken("carol")).header("Bootswarm-Passkey", passkey).build()), 409, "image-not-open");
        assertProblem(send(HttpRequest.newBuilder(uri("/api/v1/images/" + UUID.randomUUID() + "/torrent"))
                .header("Authorization", "Bearer " + userToken("carol")).header("Bootswarm-Passkey", passkey).build()), 404, "image-not-found");
    }
}
