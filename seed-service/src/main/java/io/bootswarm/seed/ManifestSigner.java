package io.bootswarm.seed;

import io.bootswarm.common.keys.Ed25519KeyFile;
import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.common.manifest.ManifestSignature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.List;

/**
 * The key this seed signs manifests with ({@link ManifestSignature}, Ed25519): read from
 * {@code bootswarm.seed.signing-key-file} (PKCS#8 PEM), or from {@code <storage>/manifest-signing-key.pem},
 * which the first start makes (owner-only) when it is absent. Agents check each manifest's signature
 * against the keys they trust, which the seed publishes at {@code GET /api/v1/manifest-keys}.
 */
@Component
public final class ManifestSigner {

    private static final Logger log = LoggerFactory.getLogger(ManifestSigner.class);
    static final String DEFAULT_FILE = "manifest-signing-key.pem";

    private final PrivateKey privateKey;
    private final PublicKey publicKey;
    private final String keyId;

    @Autowired
    public ManifestSigner(SeedProperties properties, Storage storage) {
        this(properties.signingKeyFile().isBlank() ? storage.root().resolve(DEFAULT_FILE)
                : Path.of(properties.signingKeyFile().strip()), properties.signingKeyFile().isBlank());
    }

    ManifestSigner(Path file, boolean createIfAbsent) {
        Ed25519KeyFile key = Ed25519KeyFile.loadOrCreate(file, createIfAbsent, "bootswarm.seed.signing-key-file",
                "manifest signing");
        this.privateKey = key.privateKey();
        this.publicKey = key.publicKey();
        this.keyId = key.keyId();
        log.info("signing manifests with key {} from {}", keyId, file);
    }

    /** The signature of the document, by this seed's key. */
    public byte[] sign(ManifestDocument doc) {
        return ManifestSignature.sign(doc, privateKey);
    }

    /** The id of the signing key. */
    public String keyId() {
        return keyId;
    }

    /** The public half of the signing key. */
    public PublicKey publicKey() {
        return publicKey;
    }

    /** The keys agents may trust for this seed's manifests. */
    public List<ManifestKey> keys() {
        return List.of(ManifestKey.of(publicKey));
    }
}
