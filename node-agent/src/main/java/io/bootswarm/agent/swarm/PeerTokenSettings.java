package io.bootswarm.agent.swarm;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;
import java.util.List;

/**
 * {@code bootswarm.agent.peer-token.*}: how this agent checks the peer access tokens of peers that
 * fetch from it.
 *
 * @param keys         base64 X.509 Ed25519 public keys of the tracker to accept tokens from; empty (the
 *                     default) to fetch them from the tracker ({@code GET /api/v1/peer-token-keys})
 * @param refetchAfter a token naming an unknown key fetches the tracker's keys again at most this often
 */
@ConfigurationProperties("bootswarm.agent.peer-token")
public record PeerTokenSettings(@DefaultValue("") List<String> keys, @DefaultValue("30s") Duration refetchAfter) {

    public PeerTokenSettings {
        keys = keys == null ? List.of() : keys.stream().filter(k -> !k.isBlank()).map(String::strip).toList();
    }
}
