package io.bootswarm.tracker.peertoken;

import io.bootswarm.common.keys.Ed25519KeyFile;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenIssuer;
import io.bootswarm.common.peertoken.PeerTokenKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

import java.time.Clock;
import java.util.List;

/**
 * The tracker's peer-token key ({@code bootswarm.tracker.peer-token.key-file}) and the tokens it
 * signs: one per JSON announce, binding the swarm, the announcing peer id and an expiry.
 */
@Component
@EnableConfigurationProperties(PeerTokenProperties.class)
public class PeerTokens {

    private static final Logger log = LoggerFactory.getLogger(PeerTokens.class);

    private final PeerTokenIssuer issuer;
    private final List<PeerTokenKey> keys;

    PeerTokens(PeerTokenProperties properties, Clock clock) {
        Ed25519KeyFile key = Ed25519KeyFile.loadOrCreate(properties.keyFile(), true,
                "bootswarm.tracker.peer-token.key-file", "peer token");
        this.issuer = new PeerTokenIssuer(key.privateKey(), clock, properties.ttl());
        this.keys = List.of(PeerTokenKey.of(key.publicKey()));
        log.info("signing peer access tokens (valid {}) with key {} from {}", properties.ttl(), key.keyId(),
                properties.keyFile());
    }

    /** A token for {@code peerId} (20 bytes) in {@code swarm}. */
    public PeerToken issue(SwarmId swarm, byte[] peerId) {
        return issuer.issue(swarm, peerId);
    }

    /** The public keys tokens are signed with, as published. */
    public List<PeerTokenKey> keys() {
        return keys;
    }
}
