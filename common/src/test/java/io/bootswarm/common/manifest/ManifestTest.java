package io.bootswarm.common.manifest;

import io.bootswarm.common.manifest.PieceSplitter.Split;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestTest {

    private static final int PIECE = 16 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static Manifest sample() throws Exception {
        byte[] data = new byte[10 * PIECE + 100];
        new Random(1).nextBytes(data);
        Arrays.fill(data, 2 * PIECE, 5 * PIECE, (byte) 0);
        Arrays.fill(data, 10 * PIECE, data.length, (byte) 0);
        Split split = new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(data), null, null);
        return split.manifest(UUID.fromString("6f1c3e9a-3d7b-4a52-9d44-1f0d3c2b8a11"), "debian-12.raw");
    }

    @Test
    void geometry() throws Exception {
        Manifest m = sample();
        assertThat(m.pieceCount()).isEqualTo(11);
        assertThat(m.pieceLength(0)).isEqualTo(PIECE);
        assertThat(m.pieceLength(10)).isEqualTo(100);
        assertThat(m.pieceOffset(10)).isEqualTo(10L * PIECE);
        assertThat(m.pieceAt(0)).isZero();
        assertThat(m.pieceAt(PIECE - 1)).isZero();
        assertThat(m.pieceAt(PIECE)).isEqualTo(1);
        assertThat(m.pieceAt(m.size() - 1)).isEqualTo(10);
        assertThat(m.zeroCount()).isEqualTo(4);
        assertThat(m.nonZeroBytes()).isEqualTo(7L * PIECE);
        assertThatThrownBy(() -> m.pieceLength(11)).isInstanceOf(IndexOutOfBoundsException.class);
        assertThatThrownBy(() -> m.pieceLength(-1)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void jsonRoundTrip() throws Exception {
        Manifest m = sample();
        String json = JSON.writeValueAsString(m.toDocument());
        JsonNode tree = JSON.readTree(json);
        assertThat(tree.get("imageId").asString()).isEqualTo("6f1c3e9a-3d7b-4a52-9d44-1f0d3c2b8a11");
        assertThat(tree.get("name").asString()).isEqualTo("debian-12.raw");
        assertThat(tree.get("size").asLong()).isEqualTo(10L * PIECE + 100);
        assertThat(tree.get("pieceSize").asInt()).isEqualTo(PIECE);
        assertThat(tree.get("swarmId").asString()).isEqualTo(m.swarmId().hex());
        byte[] hashes = Base64.getDecoder().decode(tree.get("pieceHashes").asString());
        assertThat(hashes).hasSize(11 * 32);
        for (int i = 0; i < 11; i++) {
            assertThat(Arrays.copyOfRange(hashes, i * 32, i * 32 + 32)).isEqualTo(m.hash(i).toBytes());
        }
        // pieces 2, 3, 4 and 10 are zero: 0b00111000 0b00100000
        assertThat(Base64.getDecoder().decode(tree.get("zeroPieces").asString())).containsExactly(0x38, 0x20);

        Manifest back = JSON.readValue(json, ManifestDocument.class).toManifest();
        assertThat(back).isEqualTo(m);
        assertThat(back.hashCode()).isEqualTo(m.hashCode());
        for (int i = 0; i < m.pieceCount(); i++) {
            assertThat(back.hash(i)).isEqualTo(m.hash(i));
            assertThat(back.isZero(i)).isEqualTo(m.isZero(i));
        }
    }

    private static void assertRejected(Consumer<ObjectNode> edit) throws Exception {
        ObjectNode tree = (ObjectNode) JSON.valueToTree(sample().toDocument());
        edit.accept(tree);
        String json = JSON.writeValueAsString(tree);
        assertThatThrownBy(() -> JSON.readValue(json, ManifestDocument.class).toManifest())
                .as(json).isInstanceOf(IllegalArgumentException.class);
    }

    private static String b64(byte[] b) {
        return Base64.getEncoder().encodeToString(b);
    }

    @Test
    void inconsistentDocumentsAreRejected() throws Exception {
        assertRejected(t -> t.remove("imageId"));
        assertRejected(t -> t.remove("name"));
        assertRejected(t -> t.remove("swarmId"));
        assertRejected(t -> t.remove("pieceHashes"));
        assertRejected(t -> t.remove("zeroPieces"));
        assertRejected(t -> t.put("size", 0));
        assertRejected(t -> t.put("size", -5));
        assertRejected(t -> t.put("pieceSize", 0));
        // one piece more or less than the size needs
        assertRejected(t -> t.put("size", 10L * PIECE));
        assertRejected(t -> t.put("size", 11L * PIECE + 1));
        assertRejected(t -> t.put("pieceSize", 2 * PIECE));
        // piece sizes the splitter never produces
        assertRejected(t -> t.put("pieceSize", PIECE + 1).put("size", 11L * (PIECE + 1))
                .put("zeroPieces", b64(new byte[2])));
        assertRejected(t -> t.put("pieceSize", 128 * 1024 * 1024).put("size", 100));
        // hash list not a multiple of 32 bytes, or one hash short
        assertRejected(t -> t.put("pieceHashes", b64(new byte[11 * 32 - 1])));
        assertRejected(t -> t.put("pieceHashes", b64(new byte[10 * 32])));
        // zero bitfield of the wrong length or with a spare bit set
        assertRejected(t -> t.put("zeroPieces", b64(new byte[]{0x38})));
        assertRejected(t -> t.put("zeroPieces", b64(new byte[]{0x38, 0x20, 0})));
        assertRejected(t -> t.put("zeroPieces", b64(new byte[]{0x38, 0x30})));
        // a bad swarm id
        assertRejected(t -> t.put("swarmId", "abc"));
        assertRejected(t -> t.put("swarmId", "zz".repeat(20)));
        // a piece flagged zero whose hash is not that of zeros: an agent would hand out zeros for data
        assertRejected(t -> t.put("zeroPieces", b64(new byte[]{(byte) 0xb8, 0x20})));
    }

    @Test
    void zeroFlagsAgreeWithTheHashesOfZeros() throws Exception {
        Manifest m = sample();
        byte[] zeroFull = MessageDigest.getInstance("SHA-256").digest(new byte[PIECE]);
        byte[] zeroLast = MessageDigest.getInstance("SHA-256").digest(new byte[100]);
        assertThat(m.hash(2).toBytes()).isEqualTo(zeroFull);
        assertThat(m.hash(10).toBytes()).isEqualTo(zeroLast);
    }

    @Test
    void constructorValidatesAndCopies() throws Exception {
        Manifest m = sample();
        PieceHash[] hashes = new PieceHash[11];
        for (int i = 0; i < 11; i++) {
            hashes[i] = m.hash(i);
        }
        PieceSet zero = new PieceSet(11);
        Manifest copy = new Manifest(m.imageId(), m.name(), m.size(), PIECE, m.swarmId(), hashes, zero);
        hashes[0] = hashes[1];
        zero.add(0);
        assertThat(copy.hash(0)).isEqualTo(m.hash(0));
        assertThat(copy.isZero(0)).isFalse();
        assertThatThrownBy(() -> new Manifest(m.imageId(), m.name(), m.size(), PIECE, m.swarmId(), hashes, new PieceSet(10)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Manifest(m.imageId(), m.name(), m.size(), PIECE, m.swarmId(),
                Arrays.copyOf(hashes, 12), new PieceSet(12))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Manifest(m.imageId(), m.name(), 0, PIECE, m.swarmId(), new PieceHash[0],
                new PieceSet(0))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Manifest(m.imageId(), m.name(), Long.MAX_VALUE, PIECE, m.swarmId(), hashes,
                zero)).isInstanceOf(IllegalArgumentException.class);
    }
}
