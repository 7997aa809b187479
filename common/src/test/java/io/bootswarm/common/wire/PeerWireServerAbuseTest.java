package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.testing.Sockets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import static io.bootswarm.testing.Awaits.promptly;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Hostile peers against a {@link PeerWireServer} configured like the seed and like an agent, over loopback
 * sockets on a hand-moved clock: slowloris connections (trickling handshake bytes, idling on keep-alives),
 * one address opening many connections, and a peer that claims {@code urgent} and requests flat out. Each
 * test counts what the server closed, refused and served (blocks per peer, one block per step of the clock);
 * nothing is timed.
 */
class PeerWireServerAbuseTest {

    static final int PIECES = 16;
    static final int PIECE = 64 * 1024;
    static final int BLOCK = WireLimits.BLOCK_LENGTH;
    /** 32 blocks a second: each step of the clock by {@link #STEP} lets exactly one block through. */
    static final long RATE = 32L * BLOCK;
    static final Duration STEP = Duration.ofNanos(1_000_000_000L / 32);
    static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    final SwarmId swarmId = SwarmId.of(new byte[]{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
    final ManualClock clock = new ManualClock();
    final RateLimiter limit = new RateLimiter(RATE, BLOCK, clock);
    final List<Peer> peers = new ArrayList<>();
    final List<SwarmId> lookedUp = new ArrayList<>();
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    PeerWireServer server;

    final ServedSwarm swarm = new ServedSwarm() {
        final PieceSet all = PieceSet.full(PIECES);

        @Override
        public int pieceCount() {
            return PIECES;
        }

        @Override
        public int pieceLength(int piece) {
            return PIECE;
        }

        @Override
        public PieceSet available() {
            return all;
        }

        @Override
        public void readBlock(int piece, int begin, byte[] dst, int length) {
            Arrays.fill(dst, 0, length, (byte) piece);
        }
    };

    /** The two ways the fleet builds its server. */
    enum Profile {
        /** As seed-service's ServingConfiguration builds it with the seed's default properties. */
        SEED(limit -> new PeerWireServer.Settings(LOOPBACK, 512, Duration.ofSeconds(10), Duration.ofMinutes(2), 64,
                1024, limit, Duration.ofSeconds(60), PeerWireServer.Settings.DEFAULT_MAX_PER_ADDRESS, false,
                PeerWireServer.Settings.DEFAULT_URGENT_SHARE)),
        /** As node-agent's SwarmManager builds it with the agent's default swarm settings. */
        AGENT(limit -> PeerWireServer.Settings.defaults(LOOPBACK).withUpload(16, limit));

        final java.util.function.Function<RateLimiter, PeerWireServer.Settings> settings;

        Profile(java.util.function.Function<RateLimiter, PeerWireServer.Settings> settings) {
            this.settings = settings;
        }
    }

    /** Starts the server with the limiter's bucket empty: from then on, only a step of the clock lets a block by. */
    PeerWireServer start(Profile profile, UnaryOperator<PeerWireServer.Settings> tweak) throws Exception {
        limit.acquire(BLOCK, false);
        server = new PeerWireServer(tweak.apply(profile.settings.apply(limit)), id -> {
            synchronized (lookedUp) {
                lookedUp.add(id);
            }
            return id.equals(swarmId) ? Optional.of(swarm) : Optional.empty();
        }, "-TS0001-abusetest001".getBytes(), PeerAccess.OPEN, clock).start();
        server.choker().stopTicking(); // the dealing follows this test's clock steps, not real time
        new PeerWireMetrics(server, "test.peer").bindTo(meters);
        return server;
    }

    @AfterEach
    void stop() throws IOException {
        for (Peer p : peers) {
            p.socket.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /** A peer on a raw socket, from {@code from} (any 127.x.y.z address reaches the server on Linux). */
    final class Peer {
        final Socket socket;
        final InputStream input;
        final PeerWireWriter out;
        PeerWireReader in;
        final AtomicLong blocks = new AtomicLong();

        Peer(String from) throws IOException {
            socket = new Socket();
            socket.bind(new InetSocketAddress(from, 0));
            socket.connect(server.address());
            socket.setSoTimeout(5000);
            out = new PeerWireWriter(socket.getOutputStream());
            input = new BufferedInputStream(socket.getInputStream());
            peers.add(this);
        }

        /** The BEP 3 handshake and our extended handshake, then the server's handshake is read. */
        Peer admitted(boolean urgent) throws IOException {
            out.writeHandshake(new Handshake(Handshake.ourReserved(), swarmId, new byte[20]));
            out.write(new PeerMessage.Extended(0, Bencode.encode(urgent ? Map.of("m", Map.of(), "urgent", 1L)
                    : Map.of("m", Map.of()))));
            out.flush();
            PeerWireReader.readHandshake(input);
            in = new PeerWireReader(input, WireLimits.forPieces(PIECES));
            return this;
        }

        void send(PeerMessage... ms) throws IOException {
            for (PeerMessage m : ms) {
                out.write(m);
            }
            out.flush();
        }

        void sendRaw(byte[] bytes, int from, int length) throws IOException {
            socket.getOutputStream().write(bytes, from, length);
            socket.getOutputStream().flush();
        }

        /** The next message that is not a bitfield, extended handshake or keep-alive. */
        PeerMessage next() throws IOException {
            while (true) {
                PeerMessage m = in.read();
                if (!(m instanceof PeerMessage.Bitfield || m instanceof PeerMessage.Extended
                        || m instanceof PeerMessage.KeepAlive)) {
                    return m;
                }
            }
        }

        /** Interested, and waits for the unchoke. */
        Peer unchoked() throws IOException {
            send(PeerMessage.INTERESTED);
            assertThat(next()).isEqualTo(PeerMessage.UNCHOKE);
            return this;
        }

        /** Reads everything the server sends from now on, counting blocks, on a thread of its own. */
        Peer draining() {
            Thread.ofVirtual().start(() -> {
                try {
                    socket.setSoTimeout(0);
                    while (true) {
                        if (in.read() instanceof PeerMessage.Piece) {
                            blocks.incrementAndGet();
                        }
                    }
                } catch (IOException closed) {
                    // the test is over or the server closed us
                }
            });
            return this;
        }

        /** {@code n} requests for whole blocks, round the pieces. */
        void requestFlatOut(int n) throws IOException {
            for (int i = 0; i < n; i++) {
                out.write(new PeerMessage.Request(i % PIECES, (i / PIECES % (PIECE / BLOCK)) * BLOCK, BLOCK));
            }
            out.flush();
        }

        boolean closedByServer() throws IOException {
            return Sockets.closedByOtherSide(socket, input, Duration.ofSeconds(5));
        }

        boolean stillOpen() throws IOException {
            return !Sockets.closedByOtherSide(socket, input, Duration.ofMillis(50));
        }
    }

    static byte[] handshakeBytes(SwarmId swarm) {
        byte[] b = new byte[Handshake.LENGTH];
        b[0] = 19;
        System.arraycopy(Handshake.PROTOCOL.getBytes(), 0, b, 1, 19);
        System.arraycopy(Handshake.ourReserved(), 0, b, 20, 8);
        System.arraycopy(swarm.toBytes(), 0, b, 28, 20);
        return b;
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void slowlorisConnectionsAreClosedAtTheHandshakeDeadlineHoweverTheyTrickle(Profile profile) throws Exception {
        start(profile, s -> s);
        // half trickle the BEP 3 handshake a byte a second, half send it whole and then trickle the extended one
        byte[] handshake = handshakeBytes(swarmId);
        byte[] extended = new PeerWireCodecBytes().extendedHandshake();
        List<Peer> early = new ArrayList<>();
        List<Peer> late = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            early.add(new Peer("127.0.0.1"));
            Peer p = new Peer("127.0.0.1");
            p.sendRaw(handshake, 0, handshake.length);
            PeerWireReader.readHandshake(p.input);
            late.add(p);
        }
        await().until(() -> server.openConnections() == 24);
        for (int second = 0; second < 9; second++) {
            for (int i = 0; i < 12; i++) {
                early.get(i).sendRaw(handshake, second, 1);
                late.get(i).sendRaw(extended, second, 1);
            }
            clock.advance(Duration.ofSeconds(1));
            server.sweep();
        }
        clock.advance(Duration.ofMillis(999));
        server.sweep();
        assertThat(server.handshakeTimeouts()).as("9.999 s after the accept: nobody is late yet").isZero();
        assertThat(server.openConnections()).isEqualTo(24);

        clock.advance(Duration.ofMillis(1));
        server.sweep();
        for (Peer p : early) {
            assertThat(p.closedByServer()).isTrue();
        }
        for (Peer p : late) {
            assertThat(p.closedByServer()).isTrue();
        }
        assertThat(server.handshakeTimeouts()).isEqualTo(24);
        assertThat(meters.get("test.peer.handshake.timeouts").functionCounter().count()).isEqualTo(24);
        await().until(() -> server.openConnections() == 0);
        assertThat(server.pendingHandshakes()).isZero();
        assertThat(server.protocolErrors()).isZero();

        // an honest peer is served at once
        Peer honest = new Peer("127.0.0.1").admitted(false).unchoked();
        clock.advance(STEP);
        honest.send(new PeerMessage.Request(3, 0, BLOCK));
        assertThat(((PeerMessage.Piece) honest.next()).piece()).isEqualTo(3);
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void peersThatOnlyKeepAliveAreClosedAfterTheIdleTimeoutButNotOnesThatRequestOrWaitForASlot(Profile profile)
            throws Exception {
        start(profile, s -> s.withUpload(2, limit));
        List<Peer> idlers = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            idlers.add(new Peer("127.0.0.1").admitted(false).unchoked());
        }
        Peer busy = new Peer("127.0.0.1").admitted(false).unchoked(); // the optimistic slot
        Peer waiting = new Peer("127.0.0.1").admitted(false);
        waiting.send(PeerMessage.INTERESTED);
        await().until(() -> server.choker().states().get(waiting.socket.getLocalPort()) == Choker.State.CHOKED);
        Peer notInterested = new Peer("127.0.0.1").admitted(false);
        await().until(() -> server.connections().size() == 5);

        for (int half = 1; half <= 4; half++) {
            clock.advance(Duration.ofSeconds(30));
            for (Peer p : List.of(idlers.get(0), idlers.get(1), waiting, notInterested)) {
                p.send(PeerMessage.KEEP_ALIVE);
            }
            busy.send(new PeerMessage.Request(half, 0, BLOCK));
            assertThat(((PeerMessage.Piece) busy.next()).piece()).isEqualTo(half);
            clock.advance(STEP);
            server.sweep();
        }
        // 2 min 0.125 s after the unchoke, with keep-alives all along
        for (Peer p : idlers) {
            assertThat(p.closedByServer()).isTrue();
        }
        assertThat(notInterested.closedByServer()).isTrue();
        assertThat(server.idleCloses()).isEqualTo(3);
        assertThat(meters.get("test.peer.idle.closed").functionCounter().count()).isEqualTo(3);
        assertThat(busy.stillOpen()).as("requested a block 1/32 s ago").isTrue();
        assertThat(waiting.stillOpen()).as("waits for a slot: our turn, not idle").isTrue();
        await().until(() -> server.connections().size() == 2);
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void oneAddressGetsAtMostItsCapWhileOthersAreServed(Profile profile) throws Exception {
        start(profile, s -> s.withAddressCap(8, true));
        List<Peer> flood = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            flood.add(new Peer("127.0.0.2"));
        }
        await().until(() -> server.refusedAtAddressCap() == 4 && server.openConnections() == 8);
        int closed = 0;
        for (Peer p : flood) {
            if (!p.stillOpen()) {
                closed++;
            }
        }
        assertThat(closed).as("the 4 beyond the cap, closed at accept").isEqualTo(4);
        assertThat(server.refusedAtAddressCap()).isEqualTo(4);
        assertThat(meters.get("test.peer.connections.refused").tag("cap", "address").functionCounter().count())
                .isEqualTo(4);
        assertThat(server.openConnections()).isEqualTo(8);
        Peer honest = new Peer("127.0.0.3").admitted(false).unchoked();
        clock.advance(STEP);
        honest.send(new PeerMessage.Request(1, 0, BLOCK));
        assertThat(((PeerMessage.Piece) honest.next()).piece()).isEqualTo(1);
        // the address's places come back when its connections close
        for (Peer p : flood) {
            p.socket.close();
        }
        await().until(() -> server.openConnections() == 1);
        Peer again = new Peer("127.0.0.2").admitted(false).unchoked();
        clock.advance(STEP);
        again.send(new PeerMessage.Request(2, 0, BLOCK));
        assertThat(((PeerMessage.Piece) again.next()).piece()).isEqualTo(2);
        assertThat(server.refusedAtAddressCap()).isEqualTo(4);
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void loopbackIsExemptFromTheAddressCapByDefault(Profile profile) throws Exception {
        start(profile, s -> s);
        for (int i = 0; i < PeerWireServer.Settings.DEFAULT_MAX_PER_ADDRESS + 8; i++) {
            new Peer("127.0.0.2");
        }
        await().until(() -> server.openConnections() == PeerWireServer.Settings.DEFAULT_MAX_PER_ADDRESS + 8);
        assertThat(server.refusedAtAddressCap()).isZero();
    }

    /**
     * Lets {@code blocks} blocks through, one per step of the clock, each step once every connection that is
     * served has its next block waiting at the rate limiter. Hundreds of steps: each wait looks at once.
     */
    void step(int blocks, int waiters) {
        for (int i = 0; i < blocks; i++) {
            promptly().until(() -> limit.callersIn(true) + limit.callersIn(false) == waiters);
            long served = server.blocksServed();
            clock.advance(STEP);
            promptly().until(() -> server.blocksServed() == served + 1);
        }
        promptly().until(() -> limit.callersIn(true) + limit.callersIn(false) == waiters);
    }

    /**
     * Waits until the server has read all {@code requests} the peers sent (queued, waiting at the limiter or served)
     * before the clock moves: uploads pass the limiter oldest request first, and a request read after a step would
     * be newer than every one of the other peer's (a reader thread late on a loaded machine gave the honest peer 38
     * blocks of 256, not a quarter).
     */
    void allRead(int requests) {
        promptly().until(() -> server.connections().stream().mapToInt(UploadConnection::queued).sum()
                + server.blocksServed() + limit.callersIn(true) + limit.callersIn(false) == requests);
    }

    /** Waits until every block the server counted has reached the peers' counters. */
    void delivered(Peer... to) {
        promptly().until(() -> Arrays.stream(to).mapToLong(p -> p.blocks.get()).sum() == server.blocksServed());
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void aPeerClaimingUrgentAndRequestingFlatOutLeavesAnHonestPeerItsShare(Profile profile) throws Exception {
        start(profile, s -> s);
        Peer abuser = new Peer("127.0.0.1").admitted(true).unchoked().draining();
        Peer honest = new Peer("127.0.0.1").admitted(false).unchoked().draining();
        abuser.requestFlatOut(1000);
        honest.requestFlatOut(1000);
        server.sweep();
        allRead(2000);
        // the abuser's allowance starts full (a second of half the rate: 16 blocks) and refills by half a block a
        // step: after it, the abuser passes first every other step, and takes turns with the honest peer otherwise
        step(64, 2);
        delivered(abuser, honest);
        long abuserBefore = abuser.blocks.get();
        long honestBefore = honest.blocks.get();
        step(256, 2);
        delivered(abuser, honest);
        long honestGot = honest.blocks.get() - honestBefore;
        long abuserGot = abuser.blocks.get() - abuserBefore;
        System.out.printf("%s: of 256 blocks the urgent abuser got %d, the honest peer %d%n", profile, abuserGot,
                honestGot);
        assertThat(honestGot + abuserGot).isEqualTo(256);
        // the rule's share for the honest peer: half of what urgent does not take first, a quarter (64 blocks)
        assertThat(honestGot).as("within 4 blocks of a quarter").isBetween(60L, 68L);
        assertThat(server.protocolErrors()).isZero();
    }

    @ParameterizedTest
    @EnumSource(Profile.class)
    void anHonestUrgentPeerIsServedWithinTwoBlocksWhileAnotherFloods(Profile profile) throws Exception {
        start(profile, s -> s);
        Peer abuser = new Peer("127.0.0.1").admitted(true).unchoked().draining();
        Peer demand = new Peer("127.0.0.1").admitted(true).unchoked().draining();
        abuser.requestFlatOut(1000);
        step(40, 1); // the abuser alone, past its first allowance
        for (int read = 0; read < 10; read++) {
            long had = demand.blocks.get();
            demand.send(new PeerMessage.Request(read, 0, BLOCK));
            promptly().until(() -> limit.callersIn(true) + limit.callersIn(false) == 2);
            int steps = 0;
            while (demand.blocks.get() == had && steps <= 2) {
                long served = server.blocksServed();
                clock.advance(STEP);
                promptly().until(() -> server.blocksServed() == served + 1);
                delivered(abuser, demand);
                steps++;
                int waiters = demand.blocks.get() > had ? 1 : 2;
                promptly().until(() -> limit.callersIn(true) + limit.callersIn(false) == waiters);
            }
            assertThat(demand.blocks.get()).as("read " + read + " served").isEqualTo(had + 1);
            assertThat(steps).as("read " + read + " waited for one of the abuser's blocks at most")
                    .isLessThanOrEqualTo(2);
            step(3, 1);
        }
    }

    /** The raw bytes of an extended handshake, for trickling. */
    private static final class PeerWireCodecBytes {
        byte[] extendedHandshake() throws IOException {
            var bytes = new java.io.ByteArrayOutputStream();
            PeerWireWriter w = new PeerWireWriter(bytes);
            w.write(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of()))));
            w.flush();
            return bytes.toByteArray();
        }
    }
}
