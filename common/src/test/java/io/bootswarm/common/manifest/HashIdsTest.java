package io.bootswarm.common.manifest;

import org.junit.jupiter.api.Test;

import java.security.MessageDigest;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link PieceHash} and {@link SwarmId}: parsing, formatting, byte layout. */
class HashIdsTest {

    private static final String ABC_SHA256 = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    private static final String ABC_SHA1 = "a9993e364706816aba3e25717850c26c9cd0d89d";

    @Test
    void pieceHashParsesAndFormatsDigests() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest("abc".getBytes());
        PieceHash h = PieceHash.of(digest, 0);
        assertThat(h.toString()).isEqualTo(ABC_SHA256);
        assertThat(PieceHash.parse(ABC_SHA256)).isEqualTo(h);
        assertThat(PieceHash.parse(ABC_SHA256.toUpperCase())).isEqualTo(h);
        assertThat(h.toBytes()).isEqualTo(digest);
        assertThat(h.matches(digest)).isTrue();
        byte[] other = digest.clone();
        other[31] ^= 1;
        assertThat(h.matches(other)).isFalse();
        assertThat(h.matches(new byte[20])).isFalse();
        // big-endian words
        assertThat(h.w0()).isEqualTo(0xba7816bf8f01cfeaL);
        assertThat(h.w3()).isEqualTo(0xb410ff61f20015adL);
    }

    @Test
    void pieceHashReadsAndWritesAtOffsets() {
        byte[] packed = new byte[3 * 32 + 5];
        for (int i = 0; i < packed.length; i++) {
            packed[i] = (byte) i;
        }
        PieceHash second = PieceHash.of(packed, 5 + 32);
        byte[] expected = new byte[32];
        System.arraycopy(packed, 37, expected, 0, 32);
        assertThat(second.toBytes()).isEqualTo(expected);
        byte[] dst = new byte[70];
        second.copyTo(dst, 7);
        assertThat(java.util.Arrays.copyOfRange(dst, 7, 39)).isEqualTo(expected);
        assertThat(dst[6]).isZero();
        assertThat(dst[39]).isZero();
        assertThatThrownBy(() -> PieceHash.of(packed, packed.length - 31)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void pieceHashRejectsBadText() {
        assertThatThrownBy(() -> PieceHash.parse(ABC_SHA256.substring(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PieceHash.parse(ABC_SHA256 + "0")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PieceHash.parse("g" + ABC_SHA256.substring(1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PieceHash.parse(null)).isInstanceOf(RuntimeException.class);
    }

    @Test
    void swarmIdParsesAndFormats() throws Exception {
        byte[] digest = MessageDigest.getInstance("SHA-1").digest("abc".getBytes());
        SwarmId id = SwarmId.of(digest);
        assertThat(id.hex()).isEqualTo(ABC_SHA1);
        assertThat(id.toString()).isEqualTo(ABC_SHA1);
        assertThat(id.toBytes()).isEqualTo(digest);
        assertThat(SwarmId.parse(ABC_SHA1)).isEqualTo(id);
        assertThat(SwarmId.parse(ABC_SHA1.toUpperCase())).isEqualTo(id);
        assertThat(id.lo()).isEqualTo(0x9cd0d89d);
        byte[] ff = new byte[20];
        java.util.Arrays.fill(ff, (byte) 0xff);
        assertThat(SwarmId.of(ff).hex()).isEqualTo("ff".repeat(20));
        assertThat(SwarmId.of(ff).toBytes()).isEqualTo(ff);
        assertThat(SwarmId.parse(HexFormat.of().formatHex(ff))).isEqualTo(SwarmId.of(ff));
    }

    @Test
    void swarmIdRejectsBadInput() {
        assertThatThrownBy(() -> SwarmId.of(new byte[19])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SwarmId.of(new byte[21])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SwarmId.parse(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SwarmId.parse(ABC_SHA1.substring(2))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> SwarmId.parse("zz" + ABC_SHA1.substring(2))).isInstanceOf(IllegalArgumentException.class);
    }
}
