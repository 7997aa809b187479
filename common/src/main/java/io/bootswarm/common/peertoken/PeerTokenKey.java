package io.bootswarm.common.peertoken;

import io.bootswarm.common.manifest.ManifestSignature;

import java.security.PublicKey;

/**
 * A public key that signs peer tokens, as tracker-service publishes it
 * ({@code GET /api/v1/peer-token-keys}).
 *
 * @param keyId     {@link ManifestSignature#keyId(PublicKey)}
 * @param algorithm {@value ManifestSignature#ALGORITHM}
 * @param publicKey base64 of the X.509 SubjectPublicKeyInfo encoding
 */
public record PeerTokenKey(String keyId, String algorithm, String publicKey) {

    public static PeerTokenKey of(PublicKey key) {
        return new PeerTokenKey(ManifestSignature.keyId(key), ManifestSignature.ALGORITHM,
                ManifestSignature.encodePublicKey(key));
    }

    /**
     * The key itself.
     *
     * @throws IllegalArgumentException if it is not an Ed25519 key or its id is not the key's
     */
    public PublicKey toPublicKey() {
        if (!ManifestSignature.ALGORITHM.equals(algorithm) || publicKey == null) {
            throw new IllegalArgumentException("peer token key " + keyId + " is not an Ed25519 key");
        }
        PublicKey key = ManifestSignature.decodePublicKey(publicKey);
        if (keyId != null && !keyId.equals(ManifestSignature.keyId(key))) {
            throw new IllegalArgumentException("peer token key id " + keyId + " is not the id of its key");
        }
        return key;
    }
}
