package io.bootswarm.seed.catalog;

import io.bootswarm.common.manifest.ManifestKey;
import io.bootswarm.seed.ManifestSigner;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

import java.util.List;

/** {@code /api/v1/manifest-keys}: the public keys this seed signs manifests with. */
@RestController
@RequestMapping(path = "/api/v1/manifest-keys", produces = MediaType.APPLICATION_JSON_VALUE)
@Tag(name = "manifest-keys", description = "The keys that sign manifests.")
class ManifestKeysController {

    private final ManifestSigner signer;

    ManifestKeysController(ManifestSigner signer) {
        this.signer = signer;
    }

    @GetMapping
    @Operation(summary = "List the manifest signing keys", description = "The public keys whose signatures "
            + "(`Bootswarm-Manifest-Key`, `Bootswarm-Manifest-Signature` on `GET /api/v1/images/{id}/manifest`) an "
            + "agent may accept: `keyId` (the first 8 bytes of the SHA-256 of the key's X.509 encoding, hex), "
            + "`algorithm` (`Ed25519`) and `publicKey` (base64 of the X.509 SubjectPublicKeyInfo). An agent pinned to "
            + "this seed fetches them once and trusts them from then on (`bootswarm.agent.manifest-keys` pins them "
            + "explicitly).", responses = @ApiResponse(responseCode = "200", description = "The keys."))
    List<ManifestKey> keys() {
        return signer.keys();
    }
}
