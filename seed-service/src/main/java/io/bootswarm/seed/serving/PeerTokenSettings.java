package io.bootswarm.seed.serving;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * {@code bootswarm.seed.peer-token.*}: how the seed checks the peer access tokens peers present on
 * the peer wire (signed by tracker-service).
 *
 * @param keys         base64 X.509 Ed25519 public keys of the tracker to accept tokens from; empty (the
 *                     default) to fetch them from {@code bootswarm.seed.tracker-url}
 *                     ({@code GET /api/v1/peer-token-keys}). With neither, no token verifies and only images
 *                     opened to stock clients are served
 * @param refetchAfter a token naming an unknown key fetches the tracker's keys again at most this often
 */
@ConfigurationProperties("bootswarm.seed.peer-token")
record PeerTokenSettings(@DefaultValue("") List<String> keys, @DefaultValue("30s") Duration refetchAfter) {

    PeerTokenSettings {
        keys = keys == null ? List.of() : keys.stream().filter(k -> !k.isBlank()).map(String::strip).toList();
    }
}
