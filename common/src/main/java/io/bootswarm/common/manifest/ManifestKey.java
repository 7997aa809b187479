package io.bootswarm.common.manifest;

import java.security.PublicKey;

/**
 * A public key that signs manifests, as seed-service publishes it ({@code GET /api/v1/manifest-keys})
 * and agents pin it.
 *
 * @param keyId     {@link ManifestSignature#keyId(PublicKey)}
 * @param algorithm {@value ManifestSignature#ALGORITHM}
 * @param publicKey base64 of the X.509 SubjectPublicKeyInfo encoding
 */
public record ManifestKey(String keyId, String algorithm, String publicKey) {

    /** The published form of a key. */
    public static ManifestKey of(PublicKey key) {
        return new ManifestKey(ManifestSignature.keyId(key), ManifestSignature.ALGORITHM,
                ManifestSignature.encodePublicKey(key));
    }

    /**
     * The key itself.
     *
     * @throws IllegalArgumentException if it is not an Ed25519 key or its id is not the key's
     */
    public PublicKey toPublicKey() {
        if (!ManifestSignature.ALGORITHM.equals(algorithm) || publicKey == null) {
            throw new IllegalArgumentException("manifest key " + keyId + " is not an " + ManifestSignature.ALGORITHM
                    + " key");
        }
        PublicKey key = ManifestSignature.decodePublicKey(publicKey);
        if (keyId != null && !keyId.equals(ManifestSignature.keyId(key))) {
            throw new IllegalArgumentException("manifest key id " + keyId + " is not the id of its key ("
                    + ManifestSignature.keyId(key) + ")");
        }
        return key;
    }
}
