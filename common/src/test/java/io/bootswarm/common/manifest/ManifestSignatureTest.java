package io.bootswarm.common.manifest;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestSignatureTest {

    private static final int PIECE = 16 * 1024;
    private static final KeyPair KEYS = ManifestSignature.generateKeyPair();

    private static ManifestDocument sample() throws Exception {
        byte[] data = new byte[6 * PIECE + 7];
        new Random(3).nextBytes(data);
        Arrays.fill(data, PIECE, 2 * PIECE, (byte) 0);
        return new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(data), null, null)
                .manifest(UUID.fromString("0b6f3c1e-8a0d-4f55-a1c2-3e4d5f607182"), "debian-12.raw").toDocument();
    }

    @Test
    void aSignatureVerifiesAgainstTheSigningKey() throws Exception {
        ManifestDocument doc = sample();
        byte[] signature = ManifestSignature.sign(doc, KEYS.getPrivate());

        assertThat(signature).hasSize(64);
        assertThat(ManifestSignature.verify(doc, signature, KEYS.getPublic())).isTrue();
    }

    @Test
    void aChangeOfAnyFieldFailsVerification() throws Exception {
        ManifestDocument d = sample();
        byte[] signature = ManifestSignature.sign(d, KEYS.getPrivate());
        List<ManifestDocument> changed = new ArrayList<>(List.of(
                new ManifestDocument(UUID.randomUUID(), d.name(), d.size(), d.pieceSize(), d.swarmId(), d.pieceHashes(), d.zeroPieces()),
                new ManifestDocument(d.imageId(), d.name() + "x", d.size(), d.pieceSize(), d.swarmId(), d.pieceHashes(), d.zeroPieces()),
                new ManifestDocument(d.imageId(), d.name(), d.size() - 1, d.pieceSize(), d.swarmId(), d.pieceHashes(), d.zeroPieces()),
                new ManifestDocument(d.imageId(), d.name(), d.size(), d.pieceSize() * 2, d.swarmId(), d.pieceHashes(), d.zeroPieces()),
                new ManifestDocument(d.imageId(), d.name(), d.size(), d.pieceSize(), "0" + d.swarmId().substring(1).replace('0', '1'),
                        d.pieceHashes(), d.zeroPieces()),
                new ManifestDocument(d.imageId(), d.name(), d.size(), d.pieceSize(), d.swarmId(), d.pieceHashes(),
                        new byte[] {(byte) (d.zeroPieces()[0] ^ 0x80)})));
        for (int i = 0; i < d.pieceHashes().length; i++) {
            byte[] hashes = d.pieceHashes().clone();
            hashes[i] ^= 1;
            changed.add(new ManifestDocument(d.imageId(), d.name(), d.size(), d.pieceSize(), d.swarmId(), hashes,
                    d.zeroPieces()));
        }

        for (ManifestDocument c : changed) {
            assertThat(ManifestSignature.canonical(c)).isNotEqualTo(ManifestSignature.canonical(d));
            assertThat(ManifestSignature.verify(c, signature, KEYS.getPublic())).as("%s", c).isFalse();
        }
        assertThat(ManifestSignature.verify(d, signature, KEYS.getPublic())).isTrue();
    }

    @Test
    void aChangedSignatureOrAnotherKeyFailsVerification() throws Exception {
        ManifestDocument doc = sample();
        byte[] signature = ManifestSignature.sign(doc, KEYS.getPrivate());
        byte[] flipped = signature.clone();
        flipped[10] ^= 1;

        assertThat(ManifestSignature.verify(doc, flipped, KEYS.getPublic())).isFalse();
        assertThat(ManifestSignature.verify(doc, signature, ManifestSignature.generateKeyPair().getPublic())).isFalse();
        assertThat(ManifestSignature.verify(doc, new byte[3], KEYS.getPublic())).isFalse();
        assertThat(ManifestSignature.verify(doc, null, KEYS.getPublic())).isFalse();
    }

    @Test
    void documentsWhoseNaiveConcatenationsAreEqualEncodeDifferently() {
        UUID id = UUID.randomUUID();
        byte[] hashes = new byte[32];
        ManifestDocument one = new ManifestDocument(id, "ab", 5, PIECE, "cd", hashes, new byte[] {0});
        ByteBuffer shifted = ByteBuffer.wrap(concat(new byte[] {'b'}, ByteBuffer.allocate(12).putLong(5).putInt(PIECE).array()));
        ManifestDocument two = new ManifestDocument(id, "a", shifted.getLong(), shifted.getInt(),
                new String(new byte[] {shifted.get()}, StandardCharsets.UTF_8) + "cd", hashes, new byte[] {0});
        ManifestDocument hashesOnly = new ManifestDocument(id, "n", 5, PIECE, "cd", new byte[32], new byte[] {0});
        ManifestDocument hashesIntoZeros = new ManifestDocument(id, "n", 5, PIECE, "cd", new byte[31], new byte[] {0, 0});

        assertThat(naive(two)).isEqualTo(naive(one));
        assertThat(naive(hashesIntoZeros)).isEqualTo(naive(hashesOnly));
        assertThat(ManifestSignature.canonical(two)).isNotEqualTo(ManifestSignature.canonical(one));
        assertThat(ManifestSignature.canonical(hashesIntoZeros)).isNotEqualTo(ManifestSignature.canonical(hashesOnly));
        assertThat(ManifestSignature.verify(two, ManifestSignature.sign(one, KEYS.getPrivate()), KEYS.getPublic()))
                .isFalse();
        assertThat(ManifestSignature.verify(hashesIntoZeros, ManifestSignature.sign(hashesOnly, KEYS.getPrivate()),
                KEYS.getPublic())).isFalse();
    }

    /** Every field's bytes, one after the other, with nothing to mark where one ends. */
    private static byte[] naive(ManifestDocument d) {
        byte[] name = d.name().getBytes(StandardCharsets.UTF_8);
        byte[] swarm = d.swarmId().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(16 + name.length + 12 + swarm.length + d.pieceHashes().length + d.zeroPieces().length)
                .putLong(d.imageId().getMostSignificantBits()).putLong(d.imageId().getLeastSignificantBits())
                .put(name).putLong(d.size()).putInt(d.pieceSize()).put(swarm).put(d.pieceHashes()).put(d.zeroPieces())
                .array();
    }

    @Test
    void theEncodingStartsWithTheDomainTagAndLengthPrefixesEveryField() {
        UUID id = new UUID(1, 2);
        byte[] c = ManifestSignature.canonical(new ManifestDocument(id, "é", 7, PIECE, "ff", new byte[] {9}, new byte[] {}));
        ByteBuffer b = ByteBuffer.wrap(c);
        byte[] tag = new byte[b.getInt()];
        b.get(tag);
        assertThat(new String(tag, StandardCharsets.US_ASCII)).isEqualTo("bootswarm-manifest-v1");
        assertThat(b.getInt()).isEqualTo(16);
        assertThat(b.getLong()).isEqualTo(1);
        assertThat(b.getLong()).isEqualTo(2);
        assertThat(b.getInt()).isEqualTo(2);
        b.position(b.position() + 2);
        assertThat(b.getInt()).isEqualTo(8);
        assertThat(b.getLong()).isEqualTo(7);
        assertThat(b.getInt()).isEqualTo(4);
        assertThat(b.getInt()).isEqualTo(PIECE);
        assertThat(b.getInt()).isEqualTo(2);
        b.position(b.position() + 2);
        assertThat(b.getInt()).isEqualTo(1);
        assertThat(b.get()).isEqualTo((byte) 9);
        assertThat(b.getInt()).isZero();
        assertThat(b.hasRemaining()).isFalse();
    }

    @Test
    void keysRoundTripThroughBase64AndPemAndKeepTheirId() throws Exception {
        PublicKey pub = ManifestSignature.decodePublicKey(ManifestSignature.encodePublicKey(KEYS.getPublic()));
        var priv = ManifestSignature.privateKeyFromPem(ManifestSignature.privateKeyPem(KEYS.getPrivate()));
        ManifestDocument doc = sample();

        assertThat(ManifestSignature.keyId(pub)).isEqualTo(ManifestSignature.keyId(KEYS.getPublic())).hasSize(16)
                .matches("[0-9a-f]{16}");
        assertThat(ManifestSignature.verify(doc, ManifestSignature.sign(doc, priv), pub)).isTrue();
        assertThat(ManifestSignature.publicKeyFromPem(ManifestSignature.publicKeyPem(pub))).isEqualTo(pub);
        assertThat(ManifestSignature.decodePrivateKey(ManifestSignature.encodePrivateKey(priv))).isEqualTo(priv);
        assertThat(ManifestSignature.publicKeyOf(priv)).isEqualTo(KEYS.getPublic());
        assertThat(ManifestSignature.keyId(ManifestSignature.generateKeyPair().getPublic()))
                .isNotEqualTo(ManifestSignature.keyId(pub));
        assertThat(ManifestKey.of(pub).toPublicKey()).isEqualTo(pub);
        assertThatThrownBy(() -> new ManifestKey("0000000000000000", "Ed25519", ManifestKey.of(pub).publicKey())
                .toPublicKey()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ManifestSignature.decodePublicKey("bm90IGEga2V5"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
