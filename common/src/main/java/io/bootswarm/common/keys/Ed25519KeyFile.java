package io.bootswarm.common.keys;

import io.bootswarm.common.manifest.ManifestSignature;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.util.Objects;

/**
 * An Ed25519 private key kept in a file (PKCS#8 PEM, as {@code openssl genpkey -algorithm ed25519}
 * writes it), made owner-only ({@code rw-------}) on first start when absent and allowed to be: the
 * seed's manifest-signing key and the tracker's peer-token key. Two replicas starting at once on a
 * shared file agree: the file is written to a temporary name and hard-linked into place, which fails if it exists,
 * so the loser reads the winner's key.
 *
 * @param file       where the key lives
 * @param privateKey the key
 * @param publicKey  its public half
 */
public record Ed25519KeyFile(Path file, PrivateKey privateKey, PublicKey publicKey) {

    private static final Logger log = LoggerFactory.getLogger(Ed25519KeyFile.class);

    /**
     * Reads the key, first making it when the file is absent and {@code createIfAbsent}.
     *
     * @param setting the property naming the file, for error messages
     * @param purpose what the key does, for log lines ("manifest signing", "peer token")
     * @throws IllegalStateException if the file is absent and may not be made, or holds no Ed25519 key
     * @throws UncheckedIOException  if it cannot be read or written
     */
    public static Ed25519KeyFile loadOrCreate(Path file, boolean createIfAbsent, String setting, String purpose) {
        PrivateKey key;
        try {
            if (!Files.exists(file)) {
                if (!createIfAbsent) {
                    throw new IllegalStateException(setting + " " + file + " does not exist; make one (openssl "
                            + "genpkey -algorithm ed25519 -out " + file + ") or leave the setting empty for a key "
                            + "made on first start");
                }
                create(file, purpose);
            }
            key = ManifestSignature.privateKeyFromPem(Files.readString(file, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read or write the " + purpose + " key " + file, e);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("the " + purpose + " key " + file + " is not an Ed25519 PKCS#8 PEM key: "
                    + e.getMessage(), e);
        }
        return new Ed25519KeyFile(file, key, ManifestSignature.publicKeyOf(key));
    }

    /** The key's id ({@link ManifestSignature#keyId}). */
    public String keyId() {
        return ManifestSignature.keyId(publicKey);
    }

    private static void create(Path file, String purpose) throws IOException {
        Path dir = Objects.requireNonNull(file.toAbsolutePath().getParent(), "the key file's directory");
        Files.createDirectories(dir);
        KeyPair pair = ManifestSignature.generateKeyPair();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            Files.writeString(tmp, ManifestSignature.privateKeyPem(pair.getPrivate()), StandardCharsets.US_ASCII);
            // link(2) fails if the name exists, atomically; a move checks first and then renames over it, so two
            // processes racing could both "win" and load different keys
            Files.createLink(file, tmp);
            syncDirectory(dir);
            log.info("generated the {} key {} in {}", purpose, ManifestSignature.keyId(pair.getPublic()), file);
        } catch (FileAlreadyExistsException e) {
            log.info("another process made the {} key {} first; using it", purpose, file);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** Forces a directory's entries (a file just moved into it) to disk. */
    public static void syncDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }
}
