package io.bootswarm.tracker.peertoken;

import io.bootswarm.common.keys.Ed25519KeyFile;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenIssuer;
import io.bootswarm.common.peertoken.PeerTokenKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.stereotype.Component;

import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
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
        PrivateKey privateKey;
        PublicKey publicKey;
        String from;
        if (properties.keyFile().isBlank()) {
            KeyPair pair = ManifestSignature.generateKeyPair();
            privateKey = pair.getPrivate();
            publicKey = pair.getPublic();
            from = "memory (made at start; set bootswarm.tracker.peer-token.key-file to share one key among "
                    + "replicas)";
        } else {
            Ed25519KeyFile key = Ed25519KeyFile.loadOrCreate(Path.of(properties.keyFile().strip()), true,
                    "bootswarm.tracker.peer-token.key-file", "peer token");
            privateKey = key.privateKey();
            publicKey = key.publicKey();
            from = key.file().toString();
        }
        this.issuer = new PeerTokenIssuer(privateKey, clock, properties.ttl());
        this.keys = List.of(PeerTokenKey.of(publicKey));
        log.info("signing peer access tokens (valid {}) with key {} from {}", properties.ttl(),
                ManifestSignature.keyId(publicKey), from);
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
