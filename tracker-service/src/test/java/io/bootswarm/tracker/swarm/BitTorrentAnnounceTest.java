package io.bootswarm.tracker.swarm;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.SwarmId;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BitTorrentAnnounceTest {

    private static final byte[] INFO_HASH = HexFormat.of().parseHex("00ff2025262b3d3f7e80c3a9410a0d2f5c23e1e2");

    private static String escapeAll(byte[] bytes) {
        StringBuilder sb = new StringBuilder();
        for (byte b : bytes) {
            sb.append('%').append(String.format("%02X", b & 0xff));
        }
        return sb.toString();
    }

    private static Optional<InetAddress> resolve(String host) {
        return PeerAddresses.literal(host);
    }

    private static byte[] concat(String ascii, byte[] raw, String tail) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ascii.getBytes(StandardCharsets.US_ASCII));
        out.writeBytes(raw);
        out.writeBytes(tail.getBytes(StandardCharsets.US_ASCII));
        return out.toByteArray();
    }

    @Test
    void compactPeersAreSixBytesEachInNetworkOrder() {
        AnnounceResult r = new AnnounceResult(Duration.ofSeconds(30), List.of(
                new SwarmPeer("seed-1", "10.0.0.1", 6881, true),
                new SwarmPeer("00".repeat(20), "192.168.1.200", 51413, false)), 1, 1);

        byte[] encoded = BitTorrentAnnounce.encode(r, true, false, BitTorrentAnnounceTest::resolve);

        byte[] peers = {10, 0, 0, 1, 0x1a, (byte) 0xe1, (byte) 192, (byte) 168, 1, (byte) 200, (byte) 0xc8, (byte) 0xd5};
        assertThat(encoded).isEqualTo(concat("d8:completei1e10:incompletei1e8:intervali30e5:peers12:", peers, "e"));
    }

    @Test
    void ipv6PeersGoToPeers6AndUnresolvablePeersAreLeftOut() {
        AnnounceResult r = new AnnounceResult(Duration.ofSeconds(60), List.of(
                new SwarmPeer("seed-1", "2001:db8::1", 6881, true),
                new SwarmPeer("seed-2", "no-such-host.invalid", 6881, true),
                new SwarmPeer("00".repeat(20), "127.0.0.1", 1, false)), 2, 1);

        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) Bencode.decode(
                BitTorrentAnnounce.encode(r, true, false, BitTorrentAnnounceTest::resolve));

        assertThat((byte[]) body.get("peers")).containsExactly(127, 0, 0, 1, 0, 1);
        byte[] v6 = new byte[18];
        v6[0] = 0x20;
        v6[1] = 0x01;
        v6[2] = 0x0d;
        v6[3] = (byte) 0xb8;
        v6[15] = 1;
        v6[16] = 0x1a;
        v6[17] = (byte) 0xe1;
        assertThat((byte[]) body.get("peers6")).isEqualTo(v6);
        assertThat(body.get("interval")).isEqualTo(60L);
    }

    @Test
    void nonCompactPeersAreDictionariesWithBinaryPeerIds() {
        String hexId = "2d4c54323030302d" + "0102030405060708090a0b0c";
        AnnounceResult r = new AnnounceResult(Duration.ofSeconds(30), List.of(
                new SwarmPeer("seed-1", "seed.example", 6881, true),
                new SwarmPeer(hexId, "10.0.0.2", 7000, false)), 1, 1);

        @SuppressWarnings("unchecked")
        Map<String, Object> body = (Map<String, Object>) Bencode.decode(
                BitTorrentAnnounce.encode(r, false, false, BitTorrentAnnounceTest::resolve));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> peers = (List<Map<String, Object>>) body.get("peers");

        assertThat(peers).hasSize(2);
        assertThat(new String((byte[]) peers.get(0).get("ip"), StandardCharsets.UTF_8)).isEqualTo("seed.example");
        assertThat(peers.get(0)).doesNotContainKey("peer id"); // not a 20-byte id
        assertThat(peers.get(1).get("port")).isEqualTo(7000L);
        assertThat((byte[]) peers.get(1).get("peer id")).isEqualTo(HexFormat.of().parseHex(hexId));

        @SuppressWarnings("unchecked")
        Map<String, Object> noIds = (Map<String, Object>) Bencode.decode(BitTorrentAnnounce.encode(r, false, true,
                BitTorrentAnnounceTest::resolve));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> noIdPeers = (List<Map<String, Object>>) noIds.get("peers");
        assertThat(noIdPeers).hasSize(2).allSatisfy(p -> assertThat(p).doesNotContainKey("peer id"));
    }

    @Test
    void parsesBinaryPercentEncodedQuery() {
        byte[] peerId = "-qB4650-abcdefghijkl".getBytes(StandardCharsets.US_ASCII);
        String query = "info_hash=" + escapeAll(INFO_HASH) + "&peer_id=" + escapeAll(peerId)
                + "&port=51413&uploaded=10&downloaded=20&left=4096&event=started&compact=1&numwant=12&key=abc";

        BitTorrentAnnounce.Request r = BitTorrentAnnounce.parse(query);

        assertThat(r.swarm()).isEqualTo(SwarmId.of(INFO_HASH));
        assertThat(r.peerId()).isEqualTo(peerId);
        assertThat(r.port()).isEqualTo(51413);
        assertThat(r.uploaded()).isEqualTo(10);
        assertThat(r.downloaded()).isEqualTo(20);
        assertThat(r.left()).isEqualTo(4096);
        assertThat(r.event()).isEqualTo(AnnounceEvent.STARTED);
        assertThat(r.compact()).isTrue();
        assertThat(r.numWant()).isEqualTo(12);
        assertThat(r.ip()).isNull();
    }

    @Test
    void unreservedCharactersMayStayUnescapedAsClientsSendThem() {
        // libtorrent leaves [A-Za-z0-9.-_~] as they are
        byte[] hash = "abcdefghij0123456789".getBytes(StandardCharsets.US_ASCII);
        hash[3] = (byte) 0x80;
        String raw = "abc%80efghij0123456789";
        BitTorrentAnnounce.Request r = BitTorrentAnnounce.parse("info_hash=" + raw + "&peer_id=" + raw
                + "&port=1&left=0&compact=0&no_peer_id=1&ip=10.1.1.1");
        assertThat(r.swarm().toBytes()).isEqualTo(hash);
        assertThat(r.compact()).isFalse();
        assertThat(r.noPeerId()).isTrue();
        assertThat(r.ip()).isEqualTo("10.1.1.1");
        assertThat(r.event()).isEqualTo(AnnounceEvent.NONE);
        assertThat(r.numWant()).isEqualTo(-1);
    }

    @Test
    void rejectsMalformedRequestsWithAReason() {
        String id = escapeAll(INFO_HASH);
        String ok = "info_hash=" + id + "&peer_id=" + id + "&port=6881&left=0";
        assertThat(BitTorrentAnnounce.parse(ok).port()).isEqualTo(6881);
        assertReason(null, "missing info_hash");
        assertReason("peer_id=" + id + "&port=1&left=0", "missing info_hash");
        assertReason("info_hash=" + escapeAll(new byte[19]) + "&peer_id=" + id + "&port=1&left=0",
                "info_hash must be 20 bytes, got 19");
        assertReason("info_hash=" + id + "&port=1&left=0", "missing peer_id");
        assertReason("info_hash=" + id + "&peer_id=" + id + "&left=0", "port must be 1-65535");
        assertReason(ok.replace("port=6881", "port=65536"), "port must be 1-65535");
        assertReason(ok.replace("port=6881", "port=x"), "port must be a number");
        assertReason("info_hash=" + id + "&peer_id=" + id + "&port=1", "missing left");
        assertReason(ok + "&uploaded=-1", "uploaded, downloaded and left must not be negative");
        assertReason(ok + "&event=paused2", "event must be started, completed or stopped, got 'paused2'");
        assertReason(ok + "&numwant=-3", "numwant must not be negative");
        assertReason("info_hash=%G0", "bad percent escape");
        assertReason("info_hash=%0", "truncated percent escape");
    }

    private static void assertReason(String query, String reason) {
        assertThatThrownBy(() -> BitTorrentAnnounce.parse(query)).isInstanceOf(BitTorrentAnnounce.BadAnnounce.class)
                .hasMessage(reason);
    }

    @Test
    void failureIsABencodedFailureReason() {
        assertThat(new String(BitTorrentAnnounce.failure("missing info_hash"), StandardCharsets.US_ASCII))
                .isEqualTo("d14:failure reason17:missing info_hashe");
    }
}
