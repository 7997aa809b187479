package io.bootswarm.common.peertoken;

import org.jspecify.annotations.Nullable;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.util.Arrays;
import java.util.Optional;

/**
 * Checks a peer's {@link PeerToken} against the connection it came on: the signature by a key of
 * the {@link PeerTokenKeyring}, the swarm (the BEP 3 handshake's info hash), the peer id (the
 * handshake's peer id) and the expiry against the injected clock.
 */
public final class PeerTokenVerifier {

    /** The outcome; everything but {@link #VALID} refuses the peer. */
    public enum Verdict {
        VALID, MISSING, MALFORMED, UNKNOWN_KEY, BAD_SIGNATURE, EXPIRED, WRONG_SWARM, WRONG_PEER;

        /** The tag value for metrics and logs: lower case with dashes. */
        public String tag() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    private final PeerTokenKeyring keys;
    private final Clock clock;

    public PeerTokenVerifier(PeerTokenKeyring keys, Clock clock) {
        this.keys = keys;
        this.clock = clock;
    }

    /**
     * @param token  the encoded token the peer sent, or null when it sent none
     * @param swarm  the info hash of the peer's handshake
     * @param peerId the peer id of its handshake
     */
    public Verdict verify(byte @Nullable [] token, SwarmId swarm, byte[] peerId) {
        if (token == null) {
            return Verdict.MISSING;
        }
        PeerToken t;
        try {
            t = PeerToken.decode(token);
        } catch (IllegalArgumentException e) {
            return Verdict.MALFORMED;
        }
        // cheap checks first: a token for something else is refused without touching keys or signatures
        if (!t.swarm().equals(swarm)) {
            return Verdict.WRONG_SWARM;
        }
        if (!Arrays.equals(t.peerId(), peerId)) {
            return Verdict.WRONG_PEER;
        }
        if (!clock.instant().isBefore(t.expiresAt())) {
            return Verdict.EXPIRED;
        }
        Optional<PublicKey> key = keys.find(t.keyId());
        if (key.isEmpty()) {
            return Verdict.UNKNOWN_KEY;
        }
        try {
            Signature s = Signature.getInstance(ManifestSignature.ALGORITHM);
            s.initVerify(key.get());
            s.update(t.signedMessage());
            return s.verify(t.signature()) ? Verdict.VALID : Verdict.BAD_SIGNATURE;
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Verdict.BAD_SIGNATURE;
        }
    }
}
