package io.bootswarm.bench.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerTokenIssuer;
import io.bootswarm.common.peertoken.PeerTokenKeyring;
import io.bootswarm.common.peertoken.PeerTokenVerifier;
import io.bootswarm.common.peertoken.TokenAccess;
import io.bootswarm.common.wire.Handshake;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerMessage;
import io.bootswarm.common.wire.PeerWireReader;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.PeerWireWriter;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.common.wire.WireLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * What peer access tokens cost on the peer wire.
 *
 * <ul>
 *   <li>{@code verify}: checking one valid token (decode, bindings, expiry, one Ed25519 verification).</li>
 *   <li>{@code issue}: the tracker signing one (once per JSON announce).</li>
 *   <li>{@code handshake}: a whole connection on loopback up to the bitfield (BEP 3 handshake both ways,
 *       BEP 10 extended handshakes, then the bitfield), with {@code access=token} (the peer presents a
 *       token, the server verifies it) or {@code access=open} (no token, no check).</li>
 * </ul>
 *
 * <pre>
 *   ./mvnw -pl bench -am package -DskipTests
 *   java -jar bench/target/benchmarks.jar PeerTokenBenchmark -wi 3 -i 5 -f 1
 * </pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PeerTokenBenchmark {

    private static final SwarmId SWARM = SwarmId.parse("0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c");
    private static final byte[] PEER = "-BS0100-benchbenchbe".getBytes();
    private static final int PIECES = 1024;

    @Param({"token", "open"})
    public String access;

    private PeerTokenIssuer issuer;
    private PeerTokenVerifier verifier;
    private byte[] token;
    private PeerWireServer server;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        KeyPair key = ManifestSignature.generateKeyPair();
        issuer = new PeerTokenIssuer(key.getPrivate(), Clock.systemUTC(), Duration.ofMinutes(10));
        verifier = new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(key.getPublic())), Clock.systemUTC());
        token = issuer.issue(SWARM, PEER).encode();
        PieceSet all = PieceSet.full(PIECES);
        ServedSwarm swarm = new ServedSwarm() {
            @Override
            public int pieceCount() {
                return PIECES;
            }

            @Override
            public int pieceLength(int piece) {
                return 256 * 1024;
            }

            @Override
            public PieceSet available() {
                return all;
            }

            @Override
            public void readBlock(int piece, int begin, byte[] dst, int length) {
            }
        };
        PeerAccess peerAccess = "token".equals(access) ? new TokenAccess(verifier, new SimpleMeterRegistry())
                : PeerAccess.OPEN;
        server = new PeerWireServer(PeerWireServer.Settings.defaults(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)),
                id -> id.equals(SWARM) ? Optional.of(swarm) : Optional.empty(), "-SD0100-benchseedsee".getBytes(),
                peerAccess).start();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        server.close();
    }

    @Benchmark
    public PeerTokenVerifier.Verdict verify() {
        return verifier.verify(token, SWARM, PEER);
    }

    @Benchmark
    public byte[] issue() {
        return issuer.issue(SWARM, PEER).encode();
    }

    @Benchmark
    public PeerMessage handshake() throws IOException {
        try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
            s.setTcpNoDelay(true);
            PeerWireWriter out = new PeerWireWriter(s.getOutputStream());
            InputStream in = new BufferedInputStream(s.getInputStream());
            out.writeHandshake(new Handshake(Handshake.ourReserved(), SWARM, PEER));
            out.flush();
            PeerWireReader.readHandshake(in);
            PeerWireReader reader = new PeerWireReader(in, WireLimits.forPieces(PIECES));
            reader.read(); // the server's extended handshake
            Map<String, Object> ours = new HashMap<>(Map.of("m", Map.of()));
            if ("token".equals(access)) {
                ours.put(PeerAccess.TOKEN_KEY, token);
            }
            out.write(new PeerMessage.Extended(0, Bencode.encode(ours)));
            out.flush();
            PeerMessage bitfield = reader.read();
            if (!(bitfield instanceof PeerMessage.Bitfield)) {
                throw new IllegalStateException("expected the bitfield, got " + bitfield);
            }
            return bitfield;
        }
    }
}
