package io.bootswarm.common.peertoken;

import io.bootswarm.testing.ManualClock;
import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.common.wire.WireLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link PeerWireServer} with {@link TokenAccess} against a raw client: only a peer whose BEP 10
 * extended handshake carries a valid token for the handshake's swarm and peer id gets the bitfield
 * and pieces; every other is closed before it learns anything, and counted.
 */
class PeerWireAccessTest {

    static final int PIECE = 64 * 1024;
    static final int PIECES = 5;
    static final SwarmId SWARM = PeerTokenTest.SWARM;
    static final SwarmId OTHER = PeerTokenTest.OTHER;
    static final SwarmId OPEN = SwarmId.parse("2222222222222222222222222222222222222222");
    static final byte[] PEER = PeerTokenTest.PEER;

    final KeyPair trackerKey = ManifestSignature.generateKeyPair();
    final ManualClock clock = new ManualClock(Instant.parse("2026-01-01T00:00:00Z"));
    final PeerTokenIssuer issuer = new PeerTokenIssuer(trackerKey.getPrivate(), clock, Duration.ofMinutes(10));
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    final byte[] data = new byte[PIECE * PIECES - 1000];
    PeerWireServer server;

    @BeforeEach
    void start() throws IOException {
        new Random(7).nextBytes(data);
        ServedSwarm swarm = new ServedSwarm() {
            final PieceSet all = PieceSet.full(PIECES);

            @Override
            public int pieceCount() {
                return PIECES;
            }

            @Override
            public int pieceLength(int piece) {
                return Math.min(PIECE, data.length - piece * PIECE);
            }

            @Override
            public PieceSet available() {
                return all;
            }

            @Override
            public void readBlock(int piece, int begin, byte[] dst, int length) {
                System.arraycopy(data, piece * PIECE + begin, dst, 0, length);
            }
        };
        PeerTokenVerifier verifier = new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(trackerKey.getPublic())),
                clock);
        server = new PeerWireServer(PeerWireServer.Settings.defaults(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                id -> Set.of(SWARM, OTHER, OPEN).contains(id) ? Optional.of(swarm) : Optional.empty(),
                "-SD0100-seedseedseed".getBytes(), new TokenAccess(verifier, OPEN::equals, meters)).start();
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aValidTokenGetsEveryPiece() throws Exception {
        byte[] got = download(SWARM, PEER, true, issuer.issue(SWARM, PEER).encode());
        assertThat(got).as("all pieces served").isNotNull();
        assertThat(sha256(got)).isEqualTo(sha256(data));
        assertThat(server.refusedPeers()).isZero();
    }

    @Test
    void noTokenGetsNothing() throws Exception {
        assertRefused(download(SWARM, PEER, true, null), "missing");
    }

    @Test
    void aPeerWithoutTheExtensionBitGetsNothing() throws Exception {
        assertRefused(download(SWARM, PEER, false, null), "missing");
    }

    @Test
    void anExpiredTokenGetsNothing() throws Exception {
        byte[] token = issuer.issue(SWARM, PEER).encode();
        clock.advance(Duration.ofMinutes(10));
        assertRefused(download(SWARM, PEER, true, token), "expired");
    }

    @Test
    void aTokenForAnotherSwarmGetsNothing() throws Exception {
        assertRefused(download(SWARM, PEER, true, issuer.issue(OTHER, PEER).encode()), "wrong-swarm");
    }

    @Test
    void aTokenForAnotherPeerGetsNothing() throws Exception {
        byte[] other = "-BS0100-someoneelse1".getBytes();
        assertRefused(download(SWARM, PEER, true, issuer.issue(SWARM, other).encode()), "wrong-peer");
    }

    @Test
    void aBadSignatureGetsNothing() throws Exception {
        byte[] token = issuer.issue(SWARM, PEER).encode();
        token[PeerToken.LENGTH - 10] ^= 0x40;
        assertRefused(download(SWARM, PEER, true, token), "bad-signature");
    }

    @Test
    void aTokenOfAnotherKeyGetsNothing() throws Exception {
        PeerTokenIssuer forger = new PeerTokenIssuer(ManifestSignature.generateKeyPair().getPrivate(), clock,
                Duration.ofMinutes(10));
        assertRefused(download(SWARM, PEER, true, forger.issue(SWARM, PEER).encode()), "unknown-key");
    }

    @Test
    void anOpenSwarmServesPeersWithoutToken() throws Exception {
        byte[] got = download(OPEN, PEER, true, null);
        assertThat(got).isNotNull();
        assertThat(sha256(got)).isEqualTo(sha256(data));
        assertThat(download(OPEN, PEER, false, null)).as("no BEP 10 bit either").isEqualTo(data);
        assertThat(server.refusedPeers()).isZero();
    }

    private void assertRefused(byte[] got, String reason) {
        assertThat(got).as("nothing served").isNull();
        assertThat(server.refusedPeers()).isEqualTo(1);
        assertThat(server.blocksServed()).isZero();
        assertThat(server.bytesServed()).isZero();
        assertThat(meters.counter(TokenAccess.REFUSED, "reason", reason).count()).isEqualTo(1.0);
    }

    /**
     * Downloads the image as a client would; null if the server closed the connection. Fails if the
     * server sends a bitfield or a piece and then closes.
     */
    private byte[] download(SwarmId swarm, byte[] peerId, boolean extensions, byte[] token) throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setSoTimeout(10_000);
            PeerWireWriter out = new PeerWireWriter(s.getOutputStream());
            InputStream in = new BufferedInputStream(s.getInputStream());
            out.writeHandshake(new Handshake(extensions ? Handshake.ourReserved() : new byte[8], swarm, peerId));
            out.flush();
            PeerWireReader.readHandshake(in);
            PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(PIECES));
            List<PeerMessage> seen = new ArrayList<>();
            try {
                if (extensions) {
                    assertThat(reader.read()).isInstanceOf(PeerMessage.Extended.class);
                    Map<String, Object> hs = new HashMap<>(Map.of("m", Map.of(), "v", "test"));
                    if (token != null) {
                        hs.put(PeerAccess.TOKEN_KEY, token);
                    }
                    out.write(new PeerMessage.Extended(0, Bencode.encode(hs)));
                }
                out.write(PeerMessage.INTERESTED);
                out.flush();
                PeerMessage m;
                do {
                    m = reader.read();
                    seen.add(m);
                } while (!(m instanceof PeerMessage.Unchoke));
                for (int p = 0; p < PIECES; p++) {
                    int len = Math.min(PIECE, data.length - p * PIECE);
                    for (int b = 0; b < len; b += WireLimits.BLOCK_LENGTH) {
                        out.write(new PeerMessage.Request(p, b, Math.min(WireLimits.BLOCK_LENGTH, len - b)));
                    }
                }
                out.flush();
                byte[] got = new byte[data.length];
                int blocks = (data.length + WireLimits.BLOCK_LENGTH - 1) / WireLimits.BLOCK_LENGTH;
                while (blocks > 0) {
                    if (reader.read() instanceof PeerMessage.Piece piece) {
                        System.arraycopy(piece.block(), 0, got, piece.piece() * PIECE + piece.begin(),
                                piece.block().length);
                        blocks--;
                    }
                }
                return got;
            } catch (EOFException | SocketException e) {
                assertThat(seen).as("messages before the server closed").isEmpty();
                return null;
            }
        }
    }

    private static byte[] sha256(byte[] b) throws Exception {
        return MessageDigest.getInstance("SHA-256").digest(b);
    }
}
