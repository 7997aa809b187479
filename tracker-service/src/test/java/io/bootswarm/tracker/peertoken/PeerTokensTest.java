package io.bootswarm.tracker.peertoken;

import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerToken;
import io.bootswarm.common.peertoken.PeerTokenKeyring;
import io.bootswarm.common.peertoken.PeerTokenVerifier;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PeerTokensTest {

    static final SwarmId SWARM = SwarmId.parse("00112233445566778899aabbccddeeff00112233");
    static final byte[] PEER = "-BS0100-0123456789ab".getBytes();
    final Clock clock = Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);

    private static PeerTokenVerifier verifier(PeerTokens tokens, Clock clock) {
        return new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(tokens.keys().getFirst().toPublicKey())), clock);
    }

    @Test
    void withoutAKeyFileTheKeyIsMadeInMemory() {
        PeerTokens tokens = new PeerTokens(new PeerTokenProperties("", Duration.ofMinutes(3)), clock);
        PeerToken t = tokens.issue(SWARM, PEER);
        assertThat(t.expiresAt()).isEqualTo(Instant.parse("2026-03-01T12:03:00Z"));
        assertThat(verifier(tokens, clock).verify(t.encode(), SWARM, PEER)).isEqualTo(PeerTokenVerifier.Verdict.VALID);
        assertThat(new PeerTokens(new PeerTokenProperties("", Duration.ofMinutes(3)), clock).keys())
                .as("a new key at every start").isNotEqualTo(tokens.keys());
    }

    @Test
    void aKeyFileIsMadeOwnerOnlyAndKeptAcrossRestarts(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("keys/peer-token-key.pem");
        PeerTokens first = new PeerTokens(new PeerTokenProperties(file.toString(), Duration.ofMinutes(10)), clock);
        assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        PeerTokens again = new PeerTokens(new PeerTokenProperties(file.toString(), Duration.ofMinutes(10)), clock);
        assertThat(again.keys()).isEqualTo(first.keys());
        assertThat(verifier(first, clock).verify(again.issue(SWARM, PEER).encode(), SWARM, PEER))
                .isEqualTo(PeerTokenVerifier.Verdict.VALID);
    }

    @Test
    void aPeersTokenIsReusedOnlyWhileMoreThanHalfItsTtlRemains() {
        ManualClock manual = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
        PeerTokens tokens = new PeerTokens(new PeerTokenProperties("", Duration.ofMinutes(10)), manual);
        PeerToken first = tokens.issue(SWARM, PEER, "10.0.0.1");
        manual.advance(Duration.ofSeconds(30));
        assertThat(tokens.issue(SWARM, PEER, "10.0.0.1")).as("9.5 min left").isSameAs(first);
        manual.advance(Duration.ofSeconds(269));
        assertThat(tokens.issue(SWARM, PEER, "10.0.0.1")).as("5 min 1 s left").isSameAs(first);

        manual.advance(Duration.ofSeconds(1));
        PeerToken second = tokens.issue(SWARM, PEER, "10.0.0.1");
        assertThat(second).as("5 min left: no longer more than half").isNotSameAs(first);
        assertThat(second.expiresAt()).isEqualTo(Instant.parse("2026-03-01T12:15:00Z"));
        assertThat(verifier(tokens, manual).verify(second.encode(), SWARM, PEER))
                .isEqualTo(PeerTokenVerifier.Verdict.VALID);
        assertThat(tokens.issue(SWARM, PEER, "10.0.0.1")).isSameAs(second);
    }

    @Test
    void aTokenIsReusedOnlyForTheSameSwarmPeerAndHost() {
        ManualClock manual = new ManualClock(Instant.parse("2026-03-01T12:00:00Z"));
        PeerTokens tokens = new PeerTokens(new PeerTokenProperties("", Duration.ofMinutes(10)), manual);
        PeerToken first = tokens.issue(SWARM, PEER, "10.0.0.1");
        byte[] otherPeer = "-BS0100-ba9876543210".getBytes();
        SwarmId otherSwarm = SwarmId.parse("ffeeddccbbaa99887766554433221100ffeeddcc");

        PeerToken forOtherPeer = tokens.issue(SWARM, otherPeer, "10.0.0.1");
        assertThat(forOtherPeer).isNotSameAs(first);
        assertThat(forOtherPeer.peerId()).isEqualTo(otherPeer);
        PeerToken forOtherSwarm = tokens.issue(otherSwarm, PEER, "10.0.0.1");
        assertThat(forOtherSwarm).isNotSameAs(first);
        assertThat(forOtherSwarm.swarm()).isEqualTo(otherSwarm);
        assertThat(tokens.issue(SWARM, PEER, "10.0.0.2")).isNotSameAs(first);

        tokens.forget(SWARM, PEER, "10.0.0.1");
        assertThat(tokens.issue(SWARM, PEER, "10.0.0.1")).as("forgotten when the peer stopped").isNotSameAs(first);
    }
}
