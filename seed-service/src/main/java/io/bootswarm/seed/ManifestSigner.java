package io.bootswarm.seed;

import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.common.manifest.ManifestSignature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
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
        try {
            if (!Files.exists(file)) {
                if (!createIfAbsent) {
                    throw new IllegalStateException("bootswarm.seed.signing-key-file " + file + " does not exist; "
                            + "make one (openssl genpkey -algorithm ed25519 -out " + file + ") or leave the setting "
                            + "empty for a key kept in the storage directory");
                }
                create(file);
            }
            this.privateKey = ManifestSignature.privateKeyFromPem(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the manifest signing key " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the manifest signing key " + file + " is not an Ed25519 PKCS#8 PEM key: "
                    + e.getMessage(), e);
        }
        this.publicKey = ManifestSignature.publicKeyOf(privateKey);
        this.keyId = ManifestSignature.keyId(publicKey);
        log.info("signing manifests with key {} from {}", keyId, file);
    }

    private static void create(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        KeyPair pair = ManifestSignature.generateKeyPair();
        Path tmp = Files.createTempFile(dir, DEFAULT_FILE, ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, ManifestSignature.privateKeyPem(pair.getPrivate()), StandardCharsets.US_ASCII);
            Files.move(tmp, file);
            Storage.syncDirectory(dir);
            log.info("generated the manifest signing key {} in {}", ManifestSignature.keyId(pair.getPublic()), file);
        } catch (FileAlreadyExistsException e) {
            log.info("another seed made the manifest signing key {} first; using it", file);
        } finally {
            Files.deleteIfExists(tmp);
        }
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
