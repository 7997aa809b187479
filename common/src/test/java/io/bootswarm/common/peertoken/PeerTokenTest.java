package io.bootswarm.common.peertoken;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerTokenVerifier.Verdict;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerTokenTest {

    static final SwarmId SWARM = SwarmId.parse("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c");
    static final SwarmId OTHER = SwarmId.parse("1111111111111111111111111111111111111111");
    static final byte[] PEER = "-BS0100-abcdefghijkl".getBytes();
    static final Instant T0 = Instant.parse("2026-01-01T00:00:00.250Z");

    final KeyPair tracker = ManifestSignature.generateKeyPair();
    final Clock at0 = Clock.fixed(T0, ZoneOffset.UTC);
    final PeerTokenIssuer issuer = new PeerTokenIssuer(tracker.getPrivate(), at0, Duration.ofMinutes(10));

    PeerTokenVerifier verifierAt(Instant now) {
        return new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(tracker.getPublic())),
                Clock.fixed(now, ZoneOffset.UTC));
    }

    @Test
    void encodesToFixedBytesAndBack() {
        PeerToken t = issuer.issue(SWARM, PEER);
        byte[] bytes = t.encode();
        assertThat(bytes).hasSize(PeerToken.LENGTH);
        assertThat(PeerToken.decode(bytes)).isEqualTo(t);
        assertThat(PeerToken.fromBase64(t.toBase64())).isEqualTo(t);
        assertThat(t.keyId()).isEqualTo(ManifestSignature.keyId(tracker.getPublic()));
        // the expiry is rounded up to the second after now + ttl
        assertThat(t.expiresAt()).isEqualTo(Instant.parse("2026-01-01T00:10:01Z"));
    }

    @Test
    void validUntilItsExpiry() {
        byte[] t = issuer.issue(SWARM, PEER).encode();
        assertThat(verifierAt(T0).verify(t, SWARM, PEER)).isEqualTo(Verdict.VALID);
        assertThat(verifierAt(Instant.parse("2026-01-01T00:10:00.999Z")).verify(t, SWARM, PEER))
                .isEqualTo(Verdict.VALID);
        assertThat(verifierAt(Instant.parse("2026-01-01T00:10:01Z")).verify(t, SWARM, PEER))
                .isEqualTo(Verdict.EXPIRED);
    }

    @Test
    void refusesTokensForSomethingElse() {
        PeerTokenVerifier v = verifierAt(T0);
        byte[] t = issuer.issue(SWARM, PEER).encode();
        assertThat(v.verify(null, SWARM, PEER)).isEqualTo(Verdict.MISSING);
        assertThat(v.verify(new byte[5], SWARM, PEER)).isEqualTo(Verdict.MALFORMED);
        assertThat(v.verify(t, OTHER, PEER)).isEqualTo(Verdict.WRONG_SWARM);
        assertThat(v.verify(t, SWARM, "-BS0100-zzzzzzzzzzzz".getBytes())).isEqualTo(Verdict.WRONG_PEER);
        byte[] tampered = t.clone();
        tampered[PeerToken.LENGTH - 1] ^= 1;
        assertThat(v.verify(tampered, SWARM, PEER)).isEqualTo(Verdict.BAD_SIGNATURE);
        byte[] longer = t.clone();
        longer[PeerToken.LENGTH - 64 - 1] ^= 1; // expiry moved: the signature no longer covers it
        assertThat(v.verify(longer, SWARM, PEER)).isEqualTo(Verdict.BAD_SIGNATURE);
        PeerTokenIssuer stranger = new PeerTokenIssuer(ManifestSignature.generateKeyPair().getPrivate(), at0,
                Duration.ofMinutes(10));
        assertThat(v.verify(stranger.issue(SWARM, PEER).encode(), SWARM, PEER)).isEqualTo(Verdict.UNKNOWN_KEY);
    }

    @Test
    void aGoodSignatureIsCheckedOnceAndTheOtherChecksEveryTime() {
        ManualClock clock = new ManualClock(T0);
        PeerTokenVerifier v = new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(tracker.getPublic())), clock);
        byte[] t = issuer.issue(SWARM, PEER).encode();
        for (int connection = 0; connection < 5; connection++) {
            assertThat(v.verify(t.clone(), SWARM, PEER)).isEqualTo(Verdict.VALID);
        }
        assertThat(v.signaturesChecked()).as("one check for five connections").isEqualTo(1);
        assertThat(v.verify(t, OTHER, PEER)).isEqualTo(Verdict.WRONG_SWARM);
        assertThat(v.verify(t, SWARM, "-BS0100-zzzzzzzzzzzz".getBytes())).isEqualTo(Verdict.WRONG_PEER);
        byte[] tampered = t.clone();
        tampered[PeerToken.LENGTH - 1] ^= 1;
        assertThat(v.verify(tampered, SWARM, PEER)).isEqualTo(Verdict.BAD_SIGNATURE);
        assertThat(v.verify(issuer.issue(SWARM, "-BS0100-zzzzzzzzzzzz".getBytes()).encode(), SWARM,
                "-BS0100-zzzzzzzzzzzz".getBytes())).isEqualTo(Verdict.VALID);
        assertThat(v.signaturesChecked()).as("the tampered and the other peer's token checked").isEqualTo(3);
        clock.advance(Duration.ofMinutes(11));
        assertThat(v.verify(t, SWARM, PEER)).as("remembered, and expired all the same").isEqualTo(Verdict.EXPIRED);
    }

    @Test
    void aFetchingKeyringAsksAgainForAnUnknownKeyAtMostOncePerInterval() {
        AtomicInteger fetches = new AtomicInteger();
        KeyPair rotated = ManifestSignature.generateKeyPair();
        List<List<PeerTokenKey>> answers = List.of(List.of(PeerTokenKey.of(tracker.getPublic())),
                List.of(PeerTokenKey.of(tracker.getPublic()), PeerTokenKey.of(rotated.getPublic())));
        ManualClock clock = new ManualClock(T0);
        PeerTokenKeyring ring = PeerTokenKeyring.of(List.of(), () -> answers.get(Math.min(fetches.getAndIncrement(), 1)),
                clock, Duration.ofSeconds(30));
        String first = ManifestSignature.keyId(tracker.getPublic());
        String second = ManifestSignature.keyId(rotated.getPublic());
        assertThat(ring.find(first)).contains(tracker.getPublic());
        assertThat(ring.find(first)).contains(tracker.getPublic());
        assertThat(fetches).hasValue(1);
        clock.advance(Duration.ofSeconds(31));
        assertThat(ring.find(second)).contains(rotated.getPublic());
        assertThat(ring.find("0000000000000000")).isEmpty();
        assertThat(fetches).as("a made-up key id within the interval fetches nothing").hasValue(2);
        clock.advance(Duration.ofSeconds(31));
        assertThat(ring.find("0000000000000000")).isEmpty();
        assertThat(fetches).hasValue(3);
    }

    @Test
    void aKeyringWhoseSourceFailsFindsNothingAndTriesAgainLater() {
        ManualClock clock = new ManualClock(T0);
        AtomicInteger fetches = new AtomicInteger();
        PeerTokenKeyring ring = PeerTokenKeyring.of(List.of(), () -> {
            if (fetches.getAndIncrement() == 0) {
                throw new IOException("tracker away");
            }
            return List.of(PeerTokenKey.of(tracker.getPublic()));
        }, clock, Duration.ofSeconds(30));
        String id = ManifestSignature.keyId(tracker.getPublic());
        assertThat(ring.find(id)).isEmpty();
        clock.advance(Duration.ofSeconds(30));
        assertThat(ring.find(id)).contains(tracker.getPublic());
    }

    @Test
    void decodingRejectsJunk() {
        assertThatThrownBy(() -> PeerToken.fromBase64("not a token")).isInstanceOf(IllegalArgumentException.class);
        byte[] t = issuer.issue(SWARM, PEER).encode();
        t[0] = 2;
        assertThatThrownBy(() -> PeerToken.decode(t)).isInstanceOf(IllegalArgumentException.class);
    }

}
