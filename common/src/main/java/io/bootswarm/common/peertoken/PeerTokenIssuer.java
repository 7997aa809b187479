package io.bootswarm.common.peertoken;

import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/** Signs {@link PeerToken}s valid for {@code ttl} from the clock's now (rounded up to the second). */
public final class PeerTokenIssuer {

    private final PrivateKey key;
    private final String keyId;
    private final Clock clock;
    private final Duration ttl;

    public PeerTokenIssuer(PrivateKey key, Clock clock, Duration ttl) {
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("a peer token must live for a positive time");
        }
        this.key = Objects.requireNonNull(key);
        this.keyId = ManifestSignature.keyId(ManifestSignature.publicKeyOf(key));
        this.clock = clock;
        this.ttl = ttl;
    }

    /** A token for {@code peerId} in {@code swarm}, expiring {@code ttl} from now. */
    public PeerToken issue(SwarmId swarm, byte[] peerId) {
        Instant now = clock.instant();
        Instant expires = Instant.ofEpochSecond(now.plus(ttl).getEpochSecond() + (now.getNano() > 0 ? 1 : 0));
        return issue(swarm, peerId, expires);
    }

    /** A token with a given expiry (tests make expired ones with it). */
    public PeerToken issue(SwarmId swarm, byte[] peerId, Instant expires) {
        byte[] message = PeerToken.signedMessage(keyId, swarm, peerId, expires);
        try {
            Signature s = Signature.getInstance(ManifestSignature.ALGORITHM);
            s.initSign(key);
            s.update(message);
            return new PeerToken(keyId, swarm, peerId, expires, s.sign());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign a peer token: " + e.getMessage(), e);
        }
    }

    public String keyId() {
        return keyId;
    }

    public Duration ttl() {
        return ttl;
    }
}
