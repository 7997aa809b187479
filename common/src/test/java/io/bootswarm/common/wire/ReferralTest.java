package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code bs_referral} extension message: its bytes, its round trip, and what a reader refuses. */
class ReferralTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    private static InetSocketAddress at(String address, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(address), port);
    }

    @Test
    void aPieceThenFamilyAddressAndPortPerHolder() throws IOException {
        Referral.Holders h = new Referral.Holders(0x0102, List.of(at("10.0.0.7", 6881), at("::1", 443)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        w.write(Referral.message(4, h));
        w.flush();
        assertThat(bytes.toByteArray()).isEqualTo(hex("00000020 14 04 00000102 04 0a000007 1ae1"
                + " 06 00000000000000000000000000000001 01bb"));

        PeerMessage read = new PeerWireReader(new ByteArrayInputStream(bytes.toByteArray()),
                WireLimits.forPieces(0x0103)).read();
        assertThat(Referral.holders(((PeerMessage.Extended) read).payload(), 0x0103)).isEqualTo(h);
    }

    @Test
    void theIdIsTheOneTheReceiverNamedInItsExtendedHandshake() {
        Object hs = Bencode.decode(Bencode.encode(Map.of("m", Map.of(Referral.NAME, 3L, Fetching.NAME, 2L))));
        assertThat(Referral.idIn((Map<?, ?>) hs)).isEqualTo(3);
        assertThat(Referral.idIn(Map.of("m", Map.of(Fetching.NAME, 2L)))).isZero();
        assertThat(Referral.idIn(Map.of("m", Map.of(Referral.NAME, 256L)))).isZero();
        assertThat(Referral.idIn(Map.of())).isZero();
    }

    @Test
    void aMalformedPayloadIsAProtocolError() {
        assertThatThrownBy(() -> Referral.holders(new byte[0], 10)).isInstanceOf(WireProtocolException.class);
        assertThatThrownBy(() -> Referral.holders(hex("000001"), 10)).isInstanceOf(WireProtocolException.class);
        assertThatThrownBy(() -> Referral.holders(hex("00000001"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("no holder");
        assertThatThrownBy(() -> Referral.holders(hex("0000000a 04 0a000007 1ae1"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> Referral.holders(hex("80000001 04 0a000007 1ae1"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> Referral.holders(hex("00000001 05 0a000007 1ae1"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("family");
        assertThatThrownBy(() -> Referral.holders(hex("00000001 04 0a000007 1a"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Referral.holders(hex("00000001 06 0a000007 1ae1"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("truncated");
        assertThatThrownBy(() -> Referral.holders(hex("00000001 04 0a000007 0000"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("port 0");
        String nine = "00000001" + String.join("", Collections.nCopies(Referral.MAX_HOLDERS + 1, "04 0a000007 1ae1"));
        assertThatThrownBy(() -> Referral.holders(hex(nine), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("more than");
    }

    @Test
    void aMessageNamesOneToEightHoldersWithAddressAndPort() throws IOException {
        assertThatThrownBy(() -> new Referral.Holders(1, List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Referral.Holders(1, Collections.nCopies(9, at("10.0.0.1", 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Referral.Holders(1, List.of(InetSocketAddress.createUnresolved("x", 1))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Referral.Holders(-1, List.of(at("10.0.0.1", 1))))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
