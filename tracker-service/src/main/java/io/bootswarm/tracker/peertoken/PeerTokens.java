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
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tracker's peer-token key ({@code bootswarm.tracker.peer-token.key-file}) and the tokens it
 * signs for JSON announces, binding the swarm, the announcing peer id and an expiry.
 *
 * <p>An Ed25519 signature costs hundreds of microseconds, more than the rest of an announce, and an
 * agent re-announces every 30 s. So the token issued to a peer (swarm, peer id and the address it
 * announced from) is handed out again while more than half of its TTL remains; after that the peer
 * gets a fresh one. A reused token is the very token a fresh one would be but for a later expiry, so
 * nothing is granted that a new signature would not grant; a peer always holds one valid for at least
 * half the TTL. At most {@value #MAX_REUSABLE} tokens are kept.
 */
@Component
@EnableConfigurationProperties(PeerTokenProperties.class)
public class PeerTokens {

    private static final Logger log = LoggerFactory.getLogger(PeerTokens.class);

    /** Most tokens kept for reuse. */
    static final int MAX_REUSABLE = 65_536;

    private record Holder(SwarmId swarm, String peerId, String host) {
    }

    private final PeerTokenIssuer issuer;
    private final List<PeerTokenKey> keys;
    private final Clock clock;
    private final Duration reuseFor;
    private final ConcurrentHashMap<Holder, PeerToken> issued = new ConcurrentHashMap<>();

    PeerTokens(PeerTokenProperties properties, Clock clock) {
        this.clock = clock;
        this.reuseFor = properties.ttl().dividedBy(2);
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

    /** A freshly signed token for {@code peerId} (20 bytes) in {@code swarm}. */
    public PeerToken issue(SwarmId swarm, byte[] peerId) {
        return issuer.issue(swarm, peerId);
    }

    /**
     * A token for {@code peerId} (20 bytes) in {@code swarm}, announcing from {@code host}: the one this
     * peer was last given there while more than half of the TTL remains on it, else a freshly signed one.
     */
    public PeerToken issue(SwarmId swarm, byte[] peerId, String host) {
        Holder holder = new Holder(swarm, HexFormat.of().formatHex(peerId), host);
        Instant now = clock.instant();
        PeerToken held = issued.get(holder);
        if (held != null && reusable(held, now)) {
            return held;
        }
        PeerToken fresh = issuer.issue(swarm, peerId);
        if (issued.size() >= MAX_REUSABLE) {
            issued.values().removeIf(t -> !reusable(t, now));
            if (issued.size() >= MAX_REUSABLE) {
                issued.clear();
            }
        }
        issued.put(holder, fresh);
        return fresh;
    }

    /** Drops the token kept for a peer that left the swarm. */
    public void forget(SwarmId swarm, byte[] peerId, String host) {
        issued.remove(new Holder(swarm, HexFormat.of().formatHex(peerId), host));
    }

    /** Whether more than half of the TTL remains on {@code token} at {@code now}. */
    private boolean reusable(PeerToken token, Instant now) {
        return Duration.between(now, token.expiresAt()).compareTo(reuseFor) > 0;
    }

    /** The public keys tokens are signed with, as published. */
    public List<PeerTokenKey> keys() {
        return keys;
    }
}
