package io.bootswarm.seed;

import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.ManifestSignature;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ManifestSignerTest {

    private static final ManifestDocument DOC = new ManifestDocument(UUID.randomUUID(), "img", 5, 16384,
            "00112233445566778899aabbccddeeff00112233", new byte[32], new byte[] {0});

    @Test
    void theFirstStartMakesAnOwnerOnlyKeyInAMissingDirectoryAndARestartKeepsIt(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("not/yet/" + ManifestSigner.DEFAULT_FILE);

        ManifestSigner first = new ManifestSigner(file, true);
        ManifestSigner restarted = new ManifestSigner(file, true);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(Files.readString(file)).startsWith("-----BEGIN PRIVATE KEY-----");
        assertThat(restarted.keyId()).isEqualTo(first.keyId()).isEqualTo(ManifestSignature.keyId(first.publicKey()));
        assertThat(ManifestSignature.verify(DOC, first.sign(DOC), restarted.publicKey())).isTrue();
        try (var listing = Files.list(file.getParent())) {
            assertThat(listing).containsExactly(file);
        }
    }

    /** Seed replicas starting at once on an empty shared directory: every one signs with the same key. */
    @Test
    void replicasStartingAtOnceOnAnEmptyDirectoryAgreeOnOneKey(@TempDir Path tmp) throws Exception {
        int replicas = 8;
        for (int round = 0; round < 100; round++) {
            Path file = tmp.resolve("round-" + round).resolve(ManifestSigner.DEFAULT_FILE);
            java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(replicas);
            try (var threads = java.util.concurrent.Executors.newFixedThreadPool(replicas)) {
                java.util.List<java.util.concurrent.Future<String>> ids = new java.util.ArrayList<>();
                for (int i = 0; i < replicas; i++) {
                    ids.add(threads.submit(() -> {
                        start.await();
                        return new ManifestSigner(file, true).keyId();
                    }));
                }
                java.util.Set<String> distinct = new java.util.HashSet<>();
                for (var id : ids) {
                    distinct.add(id.get());
                }
                assertThat(distinct).as("round %d", round).hasSize(1);
                assertThat(new ManifestSigner(file, true).keyId()).isEqualTo(distinct.iterator().next());
            }
            try (var listing = Files.list(file.getParent())) {
                assertThat(listing).as("no temporary file left").containsExactly(file);
            }
        }
    }

    @Test
    void aConfiguredKeyIsLoadedAndItsPublicHalfDerived(@TempDir Path tmp) throws Exception {
        KeyPair pair = ManifestSignature.generateKeyPair();
        Path file = Files.writeString(tmp.resolve("shared.pem"), ManifestSignature.privateKeyPem(pair.getPrivate()));

        ManifestSigner signer = new ManifestSigner(file, false);

        assertThat(signer.publicKey()).isEqualTo(pair.getPublic());
        assertThat(signer.keys()).singleElement().satisfies(k -> {
            assertThat(k.keyId()).isEqualTo(ManifestSignature.keyId(pair.getPublic()));
            assertThat(k.algorithm()).isEqualTo("Ed25519");
            assertThat(k.toPublicKey()).isEqualTo(pair.getPublic());
        });
        assertThat(ManifestSignature.verify(DOC, signer.sign(DOC), pair.getPublic())).isTrue();
    }

    @Test
    void aConfiguredFileThatIsMissingOrNotAKeyStopsTheStart(@TempDir Path tmp) throws Exception {
        assertThatThrownBy(() -> new ManifestSigner(tmp.resolve("absent.pem"), false))
                .hasMessageContaining("bootswarm.seed.signing-key-file").hasMessageContaining("does not exist");
        assertThat(tmp.resolve("absent.pem")).doesNotExist();
        Path junk = Files.writeString(tmp.resolve("junk.pem"), "hello");
        assertThatThrownBy(() -> new ManifestSigner(junk, false)).hasMessageContaining("not an Ed25519 PKCS#8 PEM key");
    }
}
