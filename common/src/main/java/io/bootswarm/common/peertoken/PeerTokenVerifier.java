package io.bootswarm.common.peertoken;

import org.jspecify.annotations.Nullable;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Checks a peer's {@link PeerToken} against the connection it came on: the signature by a key of
 * the {@link PeerTokenKeyring}, the swarm (the BEP 3 handshake's info hash), the peer id (the
 * handshake's peer id) and the expiry against the injected clock.
 *
 * <p>A signature found good is remembered with the key that checked it (the {@value #REMEMBERED} tokens used last):
 * an agent presents one token on each of its connections to a host (one per class, and again on every reconnect),
 * and an Ed25519 check costs about a millisecond of CPU, which a boot storm of N agents pays N² times at once. The
 * other checks are made each time, and a remembered token counts only while the keyring still gives the same key
 * for its id.
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

    /** How many tokens with good signatures are remembered. */
    static final int REMEMBERED = 4096;

    private final PeerTokenKeyring keys;
    private final Clock clock;
    /** Tokens (their bytes) whose signature a key checked good, least recently used first; guarded by itself. */
    private final Map<ByteBuffer, PublicKey> goodSignatures = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<ByteBuffer, PublicKey> eldest) {
            return size() > REMEMBERED;
        }
    };
    private long signaturesChecked;

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
        ByteBuffer remembered = ByteBuffer.wrap(token.clone());
        synchronized (goodSignatures) {
            if (goodSignatures.get(remembered) == key.get()) {
                return Verdict.VALID;
            }
            signaturesChecked++;
        }
        try {
            Signature s = Signature.getInstance(ManifestSignature.ALGORITHM);
            s.initVerify(key.get());
            s.update(t.signedMessage());
            if (!s.verify(t.signature())) {
                return Verdict.BAD_SIGNATURE;
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Verdict.BAD_SIGNATURE;
        }
        synchronized (goodSignatures) {
            goodSignatures.put(remembered, key.get());
        }
        return Verdict.VALID;
    }

    /** Signatures checked so far (a remembered token's is not checked again). */
    long signaturesChecked() {
        synchronized (goodSignatures) {
            return signaturesChecked;
        }
    }
}
