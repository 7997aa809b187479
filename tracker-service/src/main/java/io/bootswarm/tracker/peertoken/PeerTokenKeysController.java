package io.bootswarm.tracker.peertoken;

import io.bootswarm.common.peertoken.PeerTokenKey;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.CacheControl;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

import java.time.Duration;
import java.util.List;

/** Publishes the public keys peer access tokens are signed with. */
@RestController
@Tag(name = "Announce")
class PeerTokenKeysController {

    private final PeerTokens tokens;

    PeerTokenKeysController(PeerTokens tokens) {
        this.tokens = tokens;
    }

    @GetMapping(path = "/api/v1/peer-token-keys", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(summary = "Peer token keys",
            description = "The Ed25519 public keys (base64 X.509) the tracker signs peer access tokens with. Seeds "
                    + "and agents check the token a peer sends in its BEP 10 extended handshake (bootswarm_token) "
                    + "against them; they fetch this list again when a token names a key id they do not know.")
    ResponseEntity<List<PeerTokenKey>> keys() {
        return ResponseEntity.ok().cacheControl(CacheControl.maxAge(Duration.ofMinutes(5))).body(tokens.keys());
    }
}
