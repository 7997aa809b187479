package io.bootswarm.common.peertoken;

import io.bootswarm.common.manifest.SwarmId;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A peer access token: the tracker's Ed25519 signature that peer {@code peerId} may fetch from the
 * swarm {@code swarm} until {@code expiresAt}. An agent gets one with every JSON announce and hands
 * it to the peers it dials in its BEP 10 extended handshake, under {@value #EXTENSION_KEY}; they
 * serve it only if the token names the handshake's info hash and peer id and has not expired.
 *
 * <p>Encoding, {@value #LENGTH} bytes: the version {@value #VERSION}, the signing key's 8-byte id
 * ({@code ManifestSignature#keyId}, raw), the 20-byte swarm id, the 20-byte peer id, the expiry in
 * seconds since the epoch (8 bytes, big-endian), then the 64-byte Ed25519 signature of the tag
 * {@value #DOMAIN} followed by the 57 bytes before it. Fixed length, so nothing is parsed from a
 * peer beyond a length check. In JSON it travels as unpadded base64url.
 */
public record PeerToken(String keyId, SwarmId swarm, byte[] peerId, Instant expiresAt, byte[] signature) {

    /** The key of the BEP 10 extended handshake dictionary that carries the token (a byte string). */
    public static final String EXTENSION_KEY = io.bootswarm.common.wire.PeerAccess.TOKEN_KEY;
    /** The domain tag that starts every signed message. */
    public static final String DOMAIN = "bootswarm-peer-token-v1";
    public static final int VERSION = 1;
    static final int SIGNED_LENGTH = 1 + 8 + SwarmId.BYTES + 20 + 8;
    public static final int LENGTH = SIGNED_LENGTH + 64;

    private static final byte[] DOMAIN_BYTES = DOMAIN.getBytes(StandardCharsets.US_ASCII);

    public PeerToken {
        if (keyId == null || keyId.length() != 16 || swarm == null || peerId == null || peerId.length != 20
                || expiresAt == null || signature == null || signature.length != 64) {
            throw new IllegalArgumentException("a peer token needs a 16-hex-digit key id, a swarm, a 20-byte peer id, "
                    + "an expiry and a 64-byte signature");
        }
        peerId = peerId.clone();
        signature = signature.clone();
    }

    /**
     * Reads an encoded token.
     *
     * @throws IllegalArgumentException if it is not {@value #LENGTH} bytes of version {@value #VERSION}
     */
    public static PeerToken decode(byte[] bytes) {
        if (bytes == null || bytes.length != LENGTH || bytes[0] != VERSION) {
            throw new IllegalArgumentException("not a version " + VERSION + " peer token of " + LENGTH + " bytes");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes, 1, LENGTH - 1);
        byte[] key = new byte[8];
        b.get(key);
        byte[] swarm = new byte[SwarmId.BYTES];
        b.get(swarm);
        byte[] peer = new byte[20];
        b.get(peer);
        long expiry = b.getLong();
        byte[] signature = new byte[64];
        b.get(signature);
        return new PeerToken(HexFormat.of().formatHex(key), SwarmId.of(swarm), peer, Instant.ofEpochSecond(expiry),
                signature);
    }

    /** Reads a token in its JSON form (base64url, padded or not). */
    public static PeerToken fromBase64(String text) {
        try {
            return decode(Base64.getUrlDecoder().decode(text.strip()));
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalArgumentException("not a base64url peer token", e);
        }
    }

    /** The {@value #LENGTH}-byte encoding. */
    public byte[] encode() {
        return ByteBuffer.allocate(LENGTH).put(signedFields(keyId, swarm, peerId, expiresAt)).put(signature).array();
    }

    /** The JSON form: unpadded base64url of {@link #encode()}. */
    public String toBase64() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(encode());
    }

    /** What the signature covers: {@value #DOMAIN} and the fields. */
    byte[] signedMessage() {
        return signedMessage(keyId, swarm, peerId, expiresAt);
    }

    static byte[] signedMessage(String keyId, SwarmId swarm, byte[] peerId, Instant expiresAt) {
        return ByteBuffer.allocate(DOMAIN_BYTES.length + SIGNED_LENGTH).put(DOMAIN_BYTES)
                .put(signedFields(keyId, swarm, peerId, expiresAt)).array();
    }

    private static byte[] signedFields(String keyId, SwarmId swarm, byte[] peerId, Instant expiresAt) {
        return ByteBuffer.allocate(SIGNED_LENGTH).put((byte) VERSION).put(HexFormat.of().parseHex(keyId))
                .put(swarm.toBytes()).put(peerId).putLong(expiresAt.getEpochSecond()).array();
    }

    @Override
    public byte[] peerId() {
        return peerId.clone();
    }

    @Override
    public byte[] signature() {
        return signature.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PeerToken t && keyId.equals(t.keyId) && swarm.equals(t.swarm)
                && Arrays.equals(peerId, t.peerId) && expiresAt.equals(t.expiresAt)
                && Arrays.equals(signature, t.signature);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(signature);
    }

    @Override
    public String toString() {
        return "PeerToken[key=" + keyId + ", swarm=" + swarm + ", peer=" + HexFormat.of().formatHex(peerId)
                + ", expires=" + expiresAt + "]";
    }
}
