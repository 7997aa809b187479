package io.bootswarm.tracker.peertoken;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

import java.time.Duration;

/**
 * {@code bootswarm.tracker.peer-token.*}: the peer access tokens the tracker signs for agents that
 * announce (JSON announce), which seeds and agents check on the peer wire.
 *
 * @param keyFile the Ed25519 private key (PKCS#8 PEM) tokens are signed with; made owner-only on first
 *                start when absent. Empty (the default): a key made in memory at every start (tokens live
 *                minutes and agents re-announce every 30 s, so a restart costs nothing, and the container
 *                needs no writable directory). Tracker replicas must share one file (mount one Secret);
 *                seeds and agents fetch the public half from {@code GET /api/v1/peer-token-keys}
 * @param ttl     how long a token is valid; every announce (at most every 30 s) brings a fresh one, so
 *                this bounds how long a peer that stopped announcing (or was cut off) can still fetch
 */
@ConfigurationProperties("bootswarm.tracker.peer-token")
public record PeerTokenProperties(@DefaultValue("") String keyFile, @DefaultValue("10m") Duration ttl) {

    public PeerTokenProperties {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("bootswarm.tracker.peer-token.ttl must be positive, got " + ttl);
        }
    }
}
