package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.ManifestDocument;
import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.seed.ManifestSigner;
import io.bootswarm.seed.SeedApiItBase;
import io.bootswarm.seed.SeedProperties;
import io.bootswarm.seed.Storage;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import tools.jackson.databind.json.JsonMapper;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Random;
import java.util.UUID;

import static io.bootswarm.seed.Api.json;
import static org.assertj.core.api.Assertions.assertThat;

/** The manifest of an uploaded image is signed by the key the seed publishes, which a restart keeps. */
class ManifestSigningIT extends SeedApiItBase {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Autowired
    SeedProperties properties;

    @Autowired
    Storage storage;

    @Test
    void theManifestHeadersVerifyAgainstThePublishedKey() {
        byte[] image = new byte[3 * 256 * 1024 + 99];
        new Random(11).nextBytes(image);
        HttpResponse<String> created = api.upload("signed-" + UUID.randomUUID().toString().substring(0, 8), image);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        UUID id = UUID.fromString(json(created).get("id").asString());

        HttpResponse<String> keys = api.get("/api/v1/manifest-keys");
        HttpResponse<String> manifest = api.get("/api/v1/images/" + id + "/manifest");

        assertThat(keys.statusCode()).isEqualTo(200);
        ManifestKey[] published = JSON.readValue(keys.body(), ManifestKey[].class);
        assertThat(published).hasSize(1);
        assertThat(published[0].algorithm()).isEqualTo("Ed25519");
        assertThat(manifest.statusCode()).isEqualTo(200);
        assertThat(manifest.headers().firstValue(ManifestSignature.KEY_HEADER)).hasValue(published[0].keyId());
        byte[] signature = Base64.getDecoder().decode(
                manifest.headers().firstValue(ManifestSignature.SIGNATURE_HEADER).orElseThrow());
        ManifestDocument doc = JSON.readValue(manifest.body(), ManifestDocument.class);
        assertThat(ManifestSignature.verify(doc, signature, published[0].toPublicKey())).isTrue();
        byte[] tampered = doc.pieceHashes().clone();
        tampered[40] ^= 1;
        assertThat(ManifestSignature.verify(new ManifestDocument(doc.imageId(), doc.name(), doc.size(), doc.pieceSize(),
                doc.swarmId(), tampered, doc.zeroPieces()), signature, published[0].toPublicKey())).isFalse();
    }

    @Test
    void theKeyIsKeptOwnerOnlyInTheStorageDirectoryAndARestartUsesTheSameKey() throws Exception {
        var file = STORAGE.resolve("manifest-signing-key.pem");
        String running = json(api.get("/api/v1/manifest-keys")).get(0).get("keyId").asString();

        ManifestSigner restarted = new ManifestSigner(properties, storage);

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(restarted.keyId()).isEqualTo(running);
        assertThat(api.get("/v3/api-docs").body()).contains("/api/v1/manifest-keys")
                .contains(ManifestSignature.SIGNATURE_HEADER);
    }
}
