package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.Choker.State;
import io.bootswarm.testing.ManualClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static io.bootswarm.testing.Awaits.promptly;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Upload slots and their rotation, urgent connections, have announcements and the request queue cap of
 * {@link PeerWireServer}, on a hand-moved clock: the test moves time and ticks the {@link Choker}, then
 * asserts on each connection's state and on the messages and bytes that arrived.
 */
class PeerWireServerChokingTest {

    static final int PIECES = 8;
    static final int PIECE = 32 * 1024;
    final SwarmId swarmId = SwarmId.of(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
    final PieceSet available = new PieceSet(PIECES);
    final List<Peer> peers = new ArrayList<>();
    final ManualClock clock = new ManualClock();
    PeerWireServer server;

    final ServedSwarm swarm = new ServedSwarm() {
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
            return available;
        }

        @Override
        public void readBlock(int piece, int begin, byte[] dst, int length) {
            Arrays.fill(dst, 0, length, (byte) piece);
        }
    };

    PeerWireServer start(int slots, RateLimiter limit, int maxQueued) throws IOException {
        var s = new PeerWireServer.Settings(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64,
                Duration.ofSeconds(5), Duration.ofSeconds(30), slots, maxQueued, limit, Duration.ofSeconds(60));
        server = new PeerWireServer(s, id -> id.equals(swarmId) ? Optional.of(swarm) : Optional.empty(),
                "-TS0001-chokingtest1".getBytes(), PeerAccess.OPEN, clock).start();
        server.choker().stopTicking(); // these tests tick on their clock; a tick on real time would land anywhere
        return server;
    }

    State state(Peer p) {
        return server.choker().states().get(p.socket.getLocalPort());
    }

    /** Waits until the server has taken {@code p}'s interest into account. */
    void interested(Peer p) throws IOException {
        p.send(PeerMessage.INTERESTED);
        await().until(() -> state(p) != null && state(p) != State.NOT_INTERESTED);
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

    /** A peer on a raw socket. */
    final class Peer {
        final Socket socket;
        final PeerWireWriter out;
        final PeerWireReader in;

        Peer(boolean urgent) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), server.port());
            socket.setSoTimeout(3000);
            out = new PeerWireWriter(socket.getOutputStream());
            out.writeHandshake(new Handshake(Handshake.ourReserved(), swarmId, new byte[20]));
            // BEP 10: the server sends its bitfield once it has our extended handshake
            out.write(new PeerMessage.Extended(0, Bencode.encode(urgent ? Map.of("m", Map.of(), "urgent", 1L)
                    : Map.of("m", Map.of()))));
            out.flush();
            var input = new BufferedInputStream(socket.getInputStream());
            PeerWireReader.readHandshake(input);
            in = new PeerWireReader(input, WireLimits.forPieces(PIECES));
            peers.add(this);
        }

        void send(PeerMessage... ms) throws IOException {
            for (PeerMessage m : ms) {
                out.write(m);
            }
            out.flush();
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

    }

    @Test
    void onlyTheSlotsAndOneOptimisticPeerAreUnchokedAndALeavingPeerFreesItsSlot() throws Exception {
        for (int i = 0; i < PIECES; i++) {
            available.add(i);
        }
        start(1, RateLimiter.UNLIMITED, 64);
        Peer a = new Peer(false);
        interested(a);
        assertThat(a.next()).isEqualTo(PeerMessage.UNCHOKE);
        Peer b = new Peer(false);
        interested(b);
        assertThat(b.next()).as("the optimistic slot").isEqualTo(PeerMessage.UNCHOKE);
        Peer c = new Peer(false);
        interested(c);
        assertThat(state(a)).isEqualTo(State.REGULAR);
        assertThat(state(b)).isEqualTo(State.OPTIMISTIC);
        assertThat(state(c)).as("no slot left for a third peer").isEqualTo(State.CHOKED);
        assertThat(server.unchokedConnections()).isEqualTo(2);
        // a request while choked is dropped, not queued
        c.send(new PeerMessage.Request(2, 0, 16384));
        await().until(() -> server.droppedRequests() == 1);

        a.send(PeerMessage.NOT_INTERESTED);
        assertThat(a.next()).isEqualTo(PeerMessage.CHOKE);
        assertThat(c.next()).as("the freed slot goes to the waiting peer").isEqualTo(PeerMessage.UNCHOKE);
        assertThat(state(c)).isEqualTo(State.REGULAR);
        c.send(new PeerMessage.Request(1, 0, 16384));
        PeerMessage.Piece p = (PeerMessage.Piece) c.next();
        assertThat(p.piece()).as("the dropped request for piece 2 is not served").isEqualTo(1);
        assertThat(p.block()).containsOnly(1);
        assertThat(server.blocksServed()).isEqualTo(1);
    }

    @Test
    void everyThirtySecondsTheLongestUnchokedPeerMakesRoomAndTheOptimisticSlotMoves() throws Exception {
        start(1, RateLimiter.UNLIMITED, 64);
        Peer a = new Peer(false);
        interested(a);
        clock.advance(Duration.ofSeconds(1));
        Peer b = new Peer(false);
        interested(b);
        clock.advance(Duration.ofSeconds(1));
        Peer c = new Peer(false);
        interested(c);
        clock.advance(Duration.ofSeconds(1));
        Peer d = new Peer(false);
        interested(d);
        assertThat(List.of(state(a), state(b), state(c), state(d)))
                .containsExactly(State.REGULAR, State.OPTIMISTIC, State.CHOKED, State.CHOKED);

        // ticks before 30 s change nothing
        clock.advance(Duration.ofSeconds(25));
        server.choker().tick();
        assertThat(List.of(state(a), state(b), state(c), state(d)))
                .containsExactly(State.REGULAR, State.OPTIMISTIC, State.CHOKED, State.CHOKED);

        // 32 s after a was unchoked (31 s after b): a goes to the back of the line, c (waiting longest)
        // takes its slot, and the optimistic slot moves from b to a random waiting peer (d or a)
        clock.advance(Duration.ofSeconds(4));
        server.choker().tick();
        assertThat(state(c)).isEqualTo(State.REGULAR);
        assertThat(state(b)).isEqualTo(State.CHOKED);
        assertThat(List.of(state(a), state(d))).containsExactlyInAnyOrder(State.OPTIMISTIC, State.CHOKED);
        assertThat(server.unchokedConnections()).isEqualTo(2);
        assertThat(a.next()).isEqualTo(PeerMessage.UNCHOKE);
        assertThat(a.next()).isEqualTo(PeerMessage.CHOKE);
        assertThat(c.next()).isEqualTo(PeerMessage.UNCHOKE);
        assertThat(b.next()).isEqualTo(PeerMessage.UNCHOKE);
        assertThat(b.next()).isEqualTo(PeerMessage.CHOKE);
        Peer optimistic = state(a) == State.OPTIMISTIC ? a : d;
        Peer waiting = optimistic == a ? d : a;

        // another 30 s: c makes room for b, which has waited longest; the optimistic slot moves again
        clock.advance(Duration.ofSeconds(31));
        server.choker().tick();
        assertThat(state(b)).isEqualTo(State.REGULAR);
        assertThat(state(c)).isIn(State.OPTIMISTIC, State.CHOKED);
        assertThat(state(optimistic)).as("the slot moved away from it").isEqualTo(State.CHOKED);
        assertThat(List.of(state(c), state(waiting))).containsExactlyInAnyOrder(State.OPTIMISTIC, State.CHOKED);
        assertThat(server.unchokedConnections()).isEqualTo(2);
    }

    @Test
    void nobodyRotatesWhileNoPeerWaitsAndUrgentPeersAreNeverRotated() throws Exception {
        start(1, RateLimiter.UNLIMITED, 64);
        Peer a = new Peer(false);
        interested(a);
        Peer urgent = new Peer(true);
        interested(urgent);
        clock.advance(Duration.ofMinutes(5));
        server.choker().tick();
        assertThat(state(a)).isEqualTo(State.REGULAR);
        assertThat(state(urgent)).isEqualTo(State.URGENT);

        Peer b = new Peer(false);
        interested(b);
        Peer c = new Peer(false);
        interested(c);
        assertThat(List.of(state(b), state(c))).containsExactlyInAnyOrder(State.OPTIMISTIC, State.CHOKED);
        clock.advance(Duration.ofMinutes(1));
        server.choker().tick();
        assertThat(state(a)).as("rotated out for a waiting peer").isIn(State.CHOKED, State.OPTIMISTIC);
        assertThat(state(urgent)).isEqualTo(State.URGENT);
        assertThat(server.unchokedConnections()).isEqualTo(3);
    }

    @Test
    void urgentPeersAreUnchokedOutsideTheSlotsAndServedFirst() throws Exception {
        for (int i = 0; i < PIECES; i++) {
            available.add(i);
        }
        // a bucket of one block that refills only when the test moves the clock
        RateLimiter limit = new RateLimiter(512 * 1024, 16 * 1024, clock);
        start(1, limit, 256);
        Peer normal = new Peer(false);
        interested(normal);
        assertThat(normal.next()).isEqualTo(PeerMessage.UNCHOKE);
        Peer optimistic = new Peer(false);
        interested(optimistic);
        assertThat(optimistic.next()).isEqualTo(PeerMessage.UNCHOKE);
        Peer urgent = new Peer(true);
        interested(urgent);
        assertThat(urgent.next()).isEqualTo(PeerMessage.UNCHOKE);
        assertThat(state(urgent)).isEqualTo(State.URGENT);

        // the normal peer queues 72 blocks; the first takes the bucket, the second waits for the clock
        for (int piece = 0; piece < PIECES; piece++) {
            for (int begin = 0; begin < PIECE; begin += 16384) {
                normal.out.write(new PeerMessage.Request(piece, begin, 16384));
            }
        }
        for (int round = 0; round < 7; round++) {
            for (int piece = 0; piece < PIECES; piece++) {
                normal.out.write(new PeerMessage.Request(piece, 0, 16384));
            }
        }
        normal.out.flush();
        // (the normal peer's blocks stay in the server's write buffer while it waits for the bucket:
        // they are counted on the server's side)
        await().until(() -> server.blocksServed() == 1 && limit.callersIn(false) == 1);
        urgent.send(new PeerMessage.Request(5, 0, 16384));
        await().until(() -> limit.callersIn(true) == 1);

        clock.advance(Duration.ofNanos(1_000_000_000L / 32)); // one block's worth
        PeerMessage.Piece p = (PeerMessage.Piece) urgent.next();
        assertThat(p.piece()).isEqualTo(5);
        await().until(() -> server.blocksServed() == 2 && limit.callersIn(false) == 1);
        assertThat(limit.available()).as("the urgent block went before the 71 normal ones queued").isZero();
        clock.advance(Duration.ofNanos(1_000_000_000L / 32));
        await().until(() -> server.blocksServed() == 3 && limit.callersIn(false) == 1);
    }

    @Test
    void piecesThatArriveLaterAreAnnouncedWithHave() throws Exception {
        available.add(0);
        start(4, RateLimiter.UNLIMITED, 64);
        Peer a = new Peer(false);
        assertThat(a.in.read()).isInstanceOf(PeerMessage.Extended.class); // BEP 10: before the bitfield
        PeerMessage.Bitfield bits = (PeerMessage.Bitfield) a.in.read();
        assertThat(PieceSet.fromBitfield(bits.bits(), PIECES).cardinality()).isEqualTo(1);
        available.add(6);
        server.announce(swarmId, 6);
        assertThat(a.next()).isEqualTo(new PeerMessage.Have(6));
        server.announce(SwarmId.of(new byte[20]), 7);
        available.add(5);
        server.announce(swarmId, 5);
        assertThat(a.next()).as("other swarms' pieces are not announced here").isEqualTo(new PeerMessage.Have(5));
    }

    @Test
    void tooManyOutstandingRequestsCloseTheConnection() throws Exception {
        for (int i = 0; i < PIECES; i++) {
            available.add(i);
        }
        start(4, new RateLimiter(64 * 1024, 16 * 1024, clock), 8);
        Peer a = new Peer(false);
        a.send(PeerMessage.INTERESTED);
        assertThat(a.next()).isEqualTo(PeerMessage.UNCHOKE);
        for (int i = 0; i < 40; i++) {
            a.out.write(new PeerMessage.Request(i % PIECES, 0, 16384));
        }
        a.out.flush();
        assertThatThrownBy(() -> {
            while (true) {
                a.next();
            }
        }).isInstanceOf(IOException.class);
        assertThat(server.protocolErrors()).isEqualTo(1);
    }

    @Test
    void anUrgentPeerOverItsAllowanceIsDealtASlotLikeTheOthersUntilItKeepsWithinItForARound() throws Exception {
        for (int i = 0; i < PIECES; i++) {
            available.add(i);
        }
        int block = 16 * 1024;
        RateLimiter limit = new RateLimiter(32L * block, block, clock); // a block per 1/32 s of the clock
        limit.acquire(block, false);
        start(1, limit, 1024);
        Peer a = new Peer(false);
        interested(a);
        Peer b = new Peer(false);
        interested(b);
        Peer u = new Peer(true);
        interested(u);
        assertThat(List.of(state(a), state(b), state(u)))
                .containsExactly(State.REGULAR, State.OPTIMISTIC, State.URGENT);
        java.util.concurrent.BlockingQueue<PeerMessage> received = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread.ofVirtual().start(() -> {
            try {
                while (true) {
                    received.add(u.next());
                }
            } catch (IOException closed) {
                // the test is over
            }
        });
        for (int i = 0; i < 200; i++) {
            u.out.write(new PeerMessage.Request(i % PIECES, (i / PIECES % 2) * block, block));
        }
        u.out.flush();
        UploadConnection uc = server.connections().stream()
                .filter(c -> c.socket.getPort() == u.socket.getLocalPort()).findFirst().orElseThrow();
        long round = Choker.RECHOKE_EVERY.toNanos();
        // its allowance: half the rate (16 blocks a second), a second's worth to start with
        int steps = 0;
        while (uc.urgentInBudget(io.bootswarm.common.time.MonotonicClock.nanos(clock), round)) {
            assertThat(steps++).as("allowance used up within 40 blocks").isLessThan(40);
            promptly().until(() -> limit.callersIn(true) + limit.callersIn(false) == 1);
            long served = server.blocksServed();
            clock.advance(Duration.ofNanos(1_000_000_000L / 32));
            promptly().until(() -> server.blocksServed() == served + 1);
            promptly().until(() -> limit.callersIn(true) + limit.callersIn(false) == 1);
        }
        assertThat(steps).as("the first second's allowance, then half a block a step").isBetween(30, 34);
        server.choker().tick();
        assertThat(state(u)).as("over its allowance, beyond the one slot").isEqualTo(State.CHOKED);
        assertThat(state(a)).isEqualTo(State.REGULAR);
        await().until(() -> received.contains(PeerMessage.CHOKE));
        long servedWhenChoked = server.blocksServed();

        clock.advance(Choker.RECHOKE_EVERY);
        server.choker().tick();
        assertThat(state(u)).as("a round within its allowance: urgent again").isEqualTo(State.URGENT);
        assertThat(server.blocksServed()).isEqualTo(servedWhenChoked);
    }
}
