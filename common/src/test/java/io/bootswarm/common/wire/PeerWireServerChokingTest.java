package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Upload slots, urgent connections, have announcements and the request queue cap of {@link PeerWireServer}. */
class PeerWireServerChokingTest {

    static final int PIECES = 8;
    static final int PIECE = 32 * 1024;
    final SwarmId swarmId = SwarmId.of(new byte[]{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20});
    final PieceSet available = new PieceSet(PIECES);
    final List<Peer> peers = new ArrayList<>();
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
                "-TS0001-chokingtest1".getBytes(), PeerAccess.OPEN);
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

        boolean silentFor(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                next();
                return false;
            } catch (SocketTimeoutException e) {
                return true;
            } finally {
                socket.setSoTimeout(3000);
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
        a.send(PeerMessage.INTERESTED);
        assertThat(a.next()).isEqualTo(PeerMessage.UNCHOKE);
        Peer b = new Peer(false);
        b.send(PeerMessage.INTERESTED);
        assertThat(b.next()).as("the optimistic slot").isEqualTo(PeerMessage.UNCHOKE);
        Peer c = new Peer(false);
        c.send(PeerMessage.INTERESTED);
        assertThat(c.silentFor(300)).as("no slot left for a third peer").isTrue();
        assertThat(server.unchokedConnections()).isEqualTo(2);
        // a request while choked is dropped, not queued
        c.send(new PeerMessage.Request(1, 0, 16384));
        assertThat(c.silentFor(200)).isTrue();

        a.send(PeerMessage.NOT_INTERESTED);
        assertThat(a.next()).isEqualTo(PeerMessage.CHOKE);
        assertThat(c.next()).as("the freed slot goes to the waiting peer").isEqualTo(PeerMessage.UNCHOKE);
        c.send(new PeerMessage.Request(1, 0, 16384));
        PeerMessage.Piece p = (PeerMessage.Piece) c.next();
        assertThat(p.piece()).isEqualTo(1);
        assertThat(p.block()).containsOnly(1);
    }

    @Test
    void urgentPeersAreUnchokedOutsideTheSlotsAndServedFirst() throws Exception {
        for (int i = 0; i < PIECES; i++) {
            available.add(i);
        }
        start(1, new RateLimiter(512 * 1024, 16 * 1024), 256);
        Peer normal = new Peer(false);
        normal.send(PeerMessage.INTERESTED);
        assertThat(normal.next()).isEqualTo(PeerMessage.UNCHOKE);
        Peer optimistic = new Peer(false);
        optimistic.send(PeerMessage.INTERESTED);
        assertThat(optimistic.next()).isEqualTo(PeerMessage.UNCHOKE);
        Peer urgent = new Peer(true);
        urgent.send(PeerMessage.INTERESTED);
        assertThat(urgent.next()).isEqualTo(PeerMessage.UNCHOKE);

        // the normal peer queues 2 MiB (4 s at 512 KiB/s); the urgent one's block comes long before
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
        Thread.sleep(200);
        long t0 = System.nanoTime();
        urgent.send(new PeerMessage.Request(5, 0, 16384));
        PeerMessage.Piece p = (PeerMessage.Piece) urgent.next();
        double waitedSeconds = (System.nanoTime() - t0) / 1e9;
        assertThat(p.piece()).isEqualTo(5);
        assertThat(waitedSeconds).as("an urgent block waits for at most a few normal blocks").isLessThan(0.5);
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
        assertThat(a.silentFor(200)).as("other swarms' pieces are not announced here").isTrue();
    }

    @Test
    void tooManyOutstandingRequestsCloseTheConnection() throws Exception {
        for (int i = 0; i < PIECES; i++) {
            available.add(i);
        }
        start(4, new RateLimiter(64 * 1024, 16 * 1024), 8);
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
}
