package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code bs_fetching} extension message: its bytes, its round trip, and what a reader refuses. */
class FetchingTest {

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.replace(" ", ""));
    }

    @Test
    void entriesAreFourBytesBigEndianWithTheTopBitForEnded() throws IOException {
        PeerMessage.Extended m = Fetching.message(5, List.of(new Fetching.Change(0x01020304, true),
                new Fetching.Change(7, false)));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PeerWireWriter w = new PeerWireWriter(bytes);
        w.write(m);
        w.flush();
        assertThat(bytes.toByteArray()).isEqualTo(hex("0000000a 14 05 01020304 80000007"));

        PeerMessage read = new PeerWireReader(new ByteArrayInputStream(bytes.toByteArray()),
                WireLimits.forPieces(0x01020305)).read();
        assertThat(Fetching.changes(((PeerMessage.Extended) read).payload(), 0x01020305))
                .containsExactly(new Fetching.Change(0x01020304, true), new Fetching.Change(7, false));
    }

    @Test
    void theIdIsTheOneTheReceiverNamedInItsExtendedHandshake() {
        Object hs = Bencode.decode(Bencode.encode(Map.of("m", Map.of(Fetching.NAME, 9L, DontHave.NAME, 3L))));
        assertThat(Fetching.idIn((Map<?, ?>) hs)).isEqualTo(9);
        assertThat(Fetching.idIn(Map.of("m", Map.of(DontHave.NAME, 3L)))).isZero();
        assertThat(Fetching.idIn(Map.of("m", Map.of(Fetching.NAME, 300L)))).isZero();
        assertThat(Fetching.idIn(Map.of())).isZero();
    }

    @Test
    void aMalformedPayloadIsAProtocolError() {
        assertThatThrownBy(() -> Fetching.changes(new byte[0], 10)).isInstanceOf(WireProtocolException.class);
        assertThatThrownBy(() -> Fetching.changes(hex("000001"), 10)).isInstanceOf(WireProtocolException.class);
        assertThatThrownBy(() -> Fetching.changes(hex("0000000a"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> Fetching.changes(hex("8000000a"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("outside");
        assertThatThrownBy(() -> Fetching.changes(hex("00000003 80000003"), 10))
                .isInstanceOf(WireProtocolException.class).hasMessageContaining("twice");
        assertThatThrownBy(() -> Fetching.changes(new byte[(Fetching.MAX_ENTRIES + 1) * 4], Integer.MAX_VALUE))
                .isInstanceOf(WireProtocolException.class);
    }

    @Test
    void aMessageCarriesOneToTheCapOfEntries() throws WireProtocolException {
        List<Fetching.Change> full = new ArrayList<>();
        for (int i = 0; i < Fetching.MAX_ENTRIES; i++) {
            full.add(new Fetching.Change(i, i % 2 == 0));
        }
        assertThat(Fetching.changes(Fetching.message(1, full).payload(), Fetching.MAX_ENTRIES)).isEqualTo(full);
        List<Fetching.Change> over = new ArrayList<>(full);
        over.add(new Fetching.Change(Fetching.MAX_ENTRIES, true));
        assertThatThrownBy(() -> Fetching.message(1, over)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Fetching.message(1, List.of())).isInstanceOf(IllegalArgumentException.class);
    }
}
