package io.bootswarm.seed;

import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerTokenIssuer;

import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;

/**
 * A stand-in for the tracker's peer-token key: the seeds of the tests pin its public half
 * ({@code bootswarm.seed.peer-token.keys}, see {@link SeedTestSupport}) and {@link PeerClient} presents
 * tokens it signs.
 */
public final class TestPeerTokens {

    private static final KeyPair KEY = ManifestSignature.generateKeyPair();
    private static final PeerTokenIssuer ISSUER = new PeerTokenIssuer(KEY.getPrivate(), Clock.systemUTC(),
            Duration.ofMinutes(10));

    private TestPeerTokens() {
    }

    /** The public key, as {@code bootswarm.seed.peer-token.keys} takes it. */
    public static String publicKey() {
        return ManifestSignature.encodePublicKey(KEY.getPublic());
    }

    /** A valid token (10 minutes) for {@code peerId} in {@code swarm}. */
    public static byte[] token(SwarmId swarm, byte[] peerId) {
        return ISSUER.issue(swarm, peerId).encode();
    }

    public static PeerTokenIssuer issuer() {
        return ISSUER;
    }
}
