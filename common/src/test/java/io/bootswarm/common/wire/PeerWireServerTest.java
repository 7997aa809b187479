package io.bootswarm.common.wire;

import io.bootswarm.common.bencode.Bencode;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.testing.ManualClock;
import io.bootswarm.testing.Sockets;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.io.TempDir;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

/** {@link PeerWireServer} over real loopback sockets. */
class PeerWireServerTest {

    private static final int PIECE = 32 * 1024;
    private static final int PIECES = 7;
    private static final int SIZE = 6 * PIECE + 20_000;
    private static final int MISSING = 2;
    private static final byte[] SERVER_PEER_ID = "-BS0001-serverpeerid".getBytes(StandardCharsets.US_ASCII);

    private final byte[] data = new byte[SIZE];
    private final SwarmId swarmId = SwarmId.of(sha1("swarm".getBytes()));
    private final SwarmId emptySwarmId = SwarmId.of(sha1("empty".getBytes()));
    private final AtomicLong uploaded = new AtomicLong();
    private final AtomicLong uploadedEmpty = new AtomicLong();
    private final ManualClock clock = new ManualClock();
    private PeerWireServer server;
    private final List<Socket> clients = new ArrayList<>();

    private static byte[] sha1(byte[] b) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(b);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** A swarm over {@code data}: every piece but {@link #MISSING} is available. */
    private class MemorySwarm implements ServedSwarm {
        private final PieceSet available;
        private final AtomicLong counter;

        MemorySwarm(PieceSet available, AtomicLong counter) {
            this.available = available;
            this.counter = counter;
        }

        @Override
        public int pieceCount() {
            return PIECES;
        }

        @Override
        public int pieceLength(int piece) {
            return Math.min(PIECE, SIZE - piece * PIECE);
        }

        @Override
        public PieceSet available() {
            return available;
        }

        @Override
        public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
            System.arraycopy(data, piece * PIECE + begin, dst, 0, length);
        }

        @Override
        public void uploaded(int bytes) {
            counter.addAndGet(bytes);
        }
    }

    @BeforeEach
    void start() throws IOException {
        new Random(7).nextBytes(data);
        PieceSet have = PieceSet.full(PIECES);
        PieceSet available = new PieceSet(PIECES);
        have.forEach(i -> {
            if (i != MISSING) {
                available.add(i);
            }
        });
        MemorySwarm swarm = new MemorySwarm(available, uploaded);
        MemorySwarm empty = new MemorySwarm(new PieceSet(PIECES), uploadedEmpty);
        server = startServer(16, Duration.ofSeconds(5), swarm, empty);
    }

    private PeerWireServer startServer(int maxConnections, Duration handshakeTimeout, ServedSwarm swarm,
                                       ServedSwarm empty) throws IOException {
        var settings = new PeerWireServer.Settings(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                maxConnections, handshakeTimeout, Duration.ofSeconds(30));
        return new PeerWireServer(settings, id -> id.equals(swarmId) ? Optional.of(swarm)
                : id.equals(emptySwarmId) ? Optional.of(empty) : Optional.empty(), SERVER_PEER_ID, PeerAccess.OPEN,
                clock).start();
    }

    @AfterEach
    void stop() {
        clients.forEach(c -> {
            try {
                c.close();
            } catch (IOException ignored) {
                // done anyway
            }
        });
        server.close();
    }

    /** A hand-driven peer. */
    private final class Client implements AutoCloseable {
        final Socket socket;
        final DataInputStream in;
        final PeerWireWriter out;
        final PeerWireReader reader;

        Client() throws IOException {
            this(server);
        }

        Client(PeerWireServer target) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), target.port());
            socket.setSoTimeout(5000);
            clients.add(socket);
            in = new DataInputStream(socket.getInputStream());
            out = new PeerWireWriter(socket.getOutputStream());
            reader = new PeerWireReader(in, WireLimits.forPieces(PIECES));
        }

        /** Sends our handshake and reads the server's raw 68 bytes. */
        byte[] handshake(SwarmId id, boolean extensions) throws IOException {
            byte[] reserved = extensions ? Handshake.ourReserved() : new byte[8];
            out.writeHandshake(new Handshake(reserved, id, "-XX0000-clientpeerid".getBytes()));
            out.flush();
            byte[] theirs = new byte[68];
            in.readFully(theirs);
            return theirs;
        }

        void send(PeerMessage... messages) throws IOException {
            for (PeerMessage m : messages) {
                out.write(m);
            }
            out.flush();
        }

        void sendRaw(byte[] bytes) throws IOException {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
        }

        PeerMessage read() throws IOException {
            return reader.read();
        }

        /** True when the server closed the connection (EOF or reset) before sending anything more. */
        boolean closedByServer() throws IOException {
            try {
                return in.read() == -1;
            } catch (SocketException e) {
                return true;
            }
        }

        /** Asserts the server sends nothing within {@code millis}. */
        void assertSilentFor(int millis) throws IOException {
            socket.setSoTimeout(millis);
            try {
                int b = in.read();
                fail("server sent " + (b == -1 ? "EOF" : "byte " + b));
            } catch (SocketTimeoutException expected) {
                // silent
            } finally {
                socket.setSoTimeout(5000);
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    private Client unchokedClient() throws IOException {
        Client c = new Client();
        c.handshake(swarmId, false);
        assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);
        c.send(PeerMessage.INTERESTED);
        assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
        return c;
    }

    private byte[] slice(int piece, int begin, int length) {
        int from = piece * PIECE + begin;
        return Arrays.copyOfRange(data, from, from + length);
    }

    private static void await(String what, BooleanSupplier condition) {
        Awaitility.await(what).atMost(Duration.ofSeconds(10)).until(condition::getAsBoolean);
    }

    @Test
    void handshakeIsAnsweredWithOurHandshakeAndBitfield() throws IOException {
        try (Client c = new Client()) {
            byte[] theirs = c.handshake(swarmId, false);
            ByteArrayOutputStream expected = new ByteArrayOutputStream();
            expected.write(19);
            expected.writeBytes("BitTorrent protocol".getBytes(StandardCharsets.US_ASCII));
            expected.writeBytes(new byte[]{0, 0, 0, 0, 0, 0x10, 0, 0x04}); // BEP 10 and BEP 6 (fast) bits
            expected.writeBytes(swarmId.toBytes());
            expected.writeBytes(SERVER_PEER_ID);
            assertThat(theirs).isEqualTo(expected.toByteArray());
            // bitfield frame: length 2, id 5, pieces 0,1,3,4,5,6 -> 1101 1110
            byte[] frame = new byte[6];
            c.in.readFully(frame);
            assertThat(frame).containsExactly(0, 0, 0, 2, 5, 0xde);
            // no extended handshake for a peer without the BEP 10 bit: next comes the unchoke
            c.send(PeerMessage.INTERESTED);
            assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
            // and nothing else before the answer to a request
            c.send(new PeerMessage.Request(0, 0, 5));
            assertThat(((PeerMessage.Piece) c.read()).block()).isEqualTo(slice(0, 0, 5));
        }
    }

    @Test
    void extensionPeersGetABep10ExtendedHandshake() throws IOException {
        try (Client c = new Client()) {
            c.handshake(swarmId, true);
            // BEP 10: the extended handshake follows the handshake; the bitfield waits for ours
            PeerMessage m = c.read();
            assertThat(m).isInstanceOf(PeerMessage.Extended.class);
            PeerMessage.Extended e = (PeerMessage.Extended) m;
            assertThat(e.extendedId()).isZero();
            Map<?, ?> dict = (Map<?, ?>) Bencode.decode(e.payload());
            assertThat(dict.get("m")).isInstanceOf(Map.class);
            assertThat((Map<?, ?>) dict.get("m")).isEmpty();
            assertThat(dict.get("reqq")).as("our request budget, BEP 10 reqq").isEqualTo(1024L);
            assertThat(new String((byte[]) dict.get("v"), StandardCharsets.UTF_8)).startsWith("bootswarm");
            c.assertSilentFor(200);
            c.send(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of()))));
            assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);
        }
    }

    @Test
    void aSwarmWithNothingSendsNoBitfield() throws IOException {
        try (Client c = new Client()) {
            c.handshake(emptySwarmId, false);
            c.send(PeerMessage.INTERESTED);
            assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderWithTheRightBytes() throws IOException {
        try (Client c = unchokedClient()) {
            int[][] requests = {
                    {0, 0, 16384}, {0, 16384, 16384}, {6, 0, 16384}, {6, 16384, 20_000 - 16384},
                    {1, 100, 5}, {5, PIECE - 1, 1}, {3, 7, 16384}, {0, 0, 16384}, {4, 16384, 16384},
                    {1, 0, 1}};
            long expectedBytes = 0;
            for (int[] r : requests) {
                c.out.write(new PeerMessage.Request(r[0], r[1], r[2]));
                expectedBytes += r[2];
            }
            c.out.flush();
            for (int[] r : requests) {
                PeerMessage.Piece p = (PeerMessage.Piece) c.read();
                assertThat(p.piece()).isEqualTo(r[0]);
                assertThat(p.begin()).isEqualTo(r[1]);
                assertThat(p.block()).isEqualTo(slice(r[0], r[1], r[2]));
            }
            assertThat(uploaded.get()).isEqualTo(expectedBytes);
            assertThat(server.blocksServed()).isEqualTo(requests.length);
            assertThat(server.protocolErrors()).isZero();
        }
    }

    @Test
    void aPeerCanFetchEveryAvailablePieceWhileOthersDoTheSame() throws Exception {
        int peers = 12;
        try (ExecutorService pool = Executors.newFixedThreadPool(peers)) {
            List<Future<Long>> results = new ArrayList<>();
            for (int p = 0; p < peers; p++) {
                results.add(pool.submit(() -> {
                    try (Client c = unchokedClient()) {
                        long got = 0;
                        for (int piece = 0; piece < PIECES; piece++) {
                            if (piece == MISSING) {
                                continue;
                            }
                            int length = Math.min(PIECE, SIZE - piece * PIECE);
                            for (int begin = 0; begin < length; begin += 16384) {
                                c.out.write(new PeerMessage.Request(piece, begin, Math.min(16384, length - begin)));
                            }
                            c.out.flush();
                            ByteArrayOutputStream pieceBytes = new ByteArrayOutputStream();
                            for (int begin = 0; begin < length; begin += 16384) {
                                PeerMessage.Piece m = (PeerMessage.Piece) c.read();
                                assertThat(m.piece()).isEqualTo(piece);
                                assertThat(m.begin()).isEqualTo(begin);
                                pieceBytes.writeBytes(m.block());
                            }
                            assertThat(MessageDigest.getInstance("SHA-256").digest(pieceBytes.toByteArray()))
                                    .isEqualTo(MessageDigest.getInstance("SHA-256").digest(slice(piece, 0, length)));
                            got += length;
                        }
                        return got;
                    }
                }));
            }
            long perPeer = SIZE - PIECE;
            for (Future<Long> f : results) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(perPeer);
            }
            assertThat(uploaded.get()).isEqualTo(peers * perPeer);
        }
        assertThat(server.protocolErrors()).isZero();
    }

    @Test
    void requestsWhileChokedAreIgnored() throws IOException {
        try (Client c = new Client()) {
            c.handshake(swarmId, false);
            assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);
            c.send(new PeerMessage.Request(0, 0, 16384), new PeerMessage.Request(1, 0, 16384));
            await("both requests dropped", () -> server.droppedRequests() == 2);
            c.send(PeerMessage.INTERESTED, new PeerMessage.Request(4, 100, 200));
            assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
            PeerMessage.Piece p = (PeerMessage.Piece) c.read();
            assertThat(p.piece()).isEqualTo(4);
            assertThat(p.begin()).isEqualTo(100);
            assertThat(p.block()).isEqualTo(slice(4, 100, 200));
            // the dropped requests are not served later: the next block is that of the next request
            c.send(new PeerMessage.Request(5, 0, 10));
            assertThat(((PeerMessage.Piece) c.read()).piece()).isEqualTo(5);
            assertThat(uploaded.get()).isEqualTo(210);
        }
    }

    @Test
    void otherMessagesFromThePeerAreAccepted() throws IOException {
        try (Client c = unchokedClient()) {
            byte[] bits = new PieceSet(PIECES).toBitfield();
            c.send(new PeerMessage.Bitfield(bits), new PeerMessage.Have(3), PeerMessage.KEEP_ALIVE,
                    PeerMessage.NOT_INTERESTED, PeerMessage.INTERESTED, PeerMessage.CHOKE, PeerMessage.UNCHOKE,
                    new PeerMessage.Port(6881), new PeerMessage.Cancel(0, 0, 16384),
                    new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of()))),
                    new PeerMessage.Request(0, 0, 10));
            // losing interest costs the peer its unchoke; regaining it gets a slot back
            assertThat(c.read()).isEqualTo(PeerMessage.CHOKE);
            assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
            PeerMessage.Piece p = (PeerMessage.Piece) c.read();
            assertThat(p.block()).isEqualTo(slice(0, 0, 10));
            assertThat(server.protocolErrors()).isZero();
        }
    }

    private void assertClosedWithProtocolError(String why, Client c, long errorsBefore) throws Exception {
        assertThat(c.closedByServer()).as(why + ": connection closed").isTrue();
        await(why + ": protocol error counted", () -> server.protocolErrors() == errorsBefore + 1);
        await(why + ": connection released", () -> server.openConnections() == 0);
    }

    @Test
    void badInputClosesTheConnectionCountsAnErrorAndTheServerKeepsServing() throws Exception {
        record Case(String why, SwarmId swarm, byte[] raw, PeerMessage message) {
        }
        SwarmId unknown = SwarmId.of(sha1("nope".getBytes()));
        List<Case> cases = List.of(
                new Case("unknown swarm", unknown, null, null),
                new Case("have with a 5-byte payload", swarmId, new byte[]{0, 0, 0, 6, 4, 0, 0, 0, 1, 0}, null),
                new Case("length prefix 0x7fffffff", swarmId, new byte[]{0x7f, -1, -1, -1, 7}, null),
                new Case("bitfield with a spare bit", swarmId, new byte[]{0, 0, 0, 2, 5, 1}, null),
                new Case("have of piece 7 of 7", swarmId, null, new PeerMessage.Have(7)),
                new Case("request past the last piece's end", swarmId, null, new PeerMessage.Request(6, 16384, 16384)),
                new Case("request past a piece's end", swarmId, null, new PeerMessage.Request(0, PIECE - 10, 11)),
                new Case("request at a piece's end", swarmId, null, new PeerMessage.Request(0, PIECE, 1)),
                new Case("request from a negative offset", swarmId, null, new PeerMessage.Request(0, -1, 10)),
                new Case("request from MIN_VALUE", swarmId, null, new PeerMessage.Request(0, Integer.MIN_VALUE, 16384)),
                new Case("request of 16 KiB + 1", swarmId, null, new PeerMessage.Request(0, 0, 16385)),
                new Case("unrequested piece", swarmId, null, new PeerMessage.Piece(0, 0, new byte[10])));
        try (Client bystander = unchokedClient()) {
            for (Case k : cases) {
                long errors = server.protocolErrors();
                long up = uploaded.get();
                try (Client c = new Client()) {
                    if (k.swarm() == unknown) {
                        c.out.writeHandshake(new Handshake(new byte[8], unknown, new byte[20]));
                        c.out.flush();
                    } else {
                        c.handshake(k.swarm(), false);
                        if (k.swarm() == swarmId) {
                            assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);
                        }
                        c.send(PeerMessage.INTERESTED);
                        assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
                        if (k.raw() != null) {
                            c.sendRaw(k.raw());
                        } else {
                            c.send(k.message());
                        }
                    }
                    assertThat(c.closedByServer()).as(k.why() + ": connection closed").isTrue();
                }
                await(k.why() + ": protocol error counted", () -> server.protocolErrors() == errors + 1);
                await(k.why() + ": connection released", () -> server.openConnections() == 1);
                assertThat(server.connections()).as(k.why() + ": only the bystander is kept").hasSize(1);
                assertThat(server.pendingHandshakes()).as(k.why() + ": no handshake left pending").isZero();
                assertThat(uploaded.get()).as(k.why() + ": nothing uploaded").isEqualTo(up);
                // the connection opened before keeps being served
                bystander.send(new PeerMessage.Request(1, 0, 16384));
                assertThat(((PeerMessage.Piece) bystander.read()).block()).isEqualTo(slice(1, 0, 16384));
            }
        }
        assertThat(server.protocolErrors()).isEqualTo(cases.size());
        // and new connections are served
        try (Client c = unchokedClient()) {
            c.send(new PeerMessage.Request(6, 16384, 20_000 - 16384));
            assertThat(((PeerMessage.Piece) c.read()).block()).isEqualTo(slice(6, 16384, 20_000 - 16384));
        }
    }

    /**
     * A piece we do not hold (never had, or evicted since we announced it) is not the peer's fault: with the
     * BEP 6 fast extension the request is rejected, without it ignored; either way the connection stays.
     */
    @Test
    void aRequestForAPieceNotHeldIsRejectedWithTheFastExtensionAndIgnoredWithoutAndTheConnectionStays()
            throws IOException {
        try (Client plain = unchokedClient(); Client fast = new Client()) {
            byte[] reserved = Handshake.ourReservedWithFast();
            fast.out.writeHandshake(new Handshake(reserved, swarmId, "-XX0000-fastclientid".getBytes()));
            fast.out.flush();
            byte[] theirs = new byte[68];
            fast.in.readFully(theirs);
            assertThat(theirs[27] & 0x04).as("the server sets the fast bit").isEqualTo(0x04);
            fast.send(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of()))));
            assertThat(fast.read()).isInstanceOf(PeerMessage.Extended.class);
            assertThat(fast.read()).isInstanceOf(PeerMessage.Bitfield.class);
            fast.send(PeerMessage.INTERESTED);
            assertThat(fast.read()).isEqualTo(PeerMessage.UNCHOKE);

            fast.send(new PeerMessage.Request(MISSING, 0, 16384), new PeerMessage.Request(1, 0, 100));
            assertThat(fast.read()).isEqualTo(new PeerMessage.RejectRequest(MISSING, 0, 16384));
            assertThat(((PeerMessage.Piece) fast.read()).block()).isEqualTo(slice(1, 0, 100));

            plain.send(new PeerMessage.Request(MISSING, 0, 16384), new PeerMessage.Request(1, 0, 100));
            assertThat(((PeerMessage.Piece) plain.read()).block()).as("the request for the missing piece ignored")
                    .isEqualTo(slice(1, 0, 100));
            assertThat(server.protocolErrors()).isZero();
            assertThat(server.rejectedRequests()).isEqualTo(2);
            assertThat(server.openConnections()).isEqualTo(2);
        }
        try (Client empty = new Client()) {
            empty.handshake(emptySwarmId, false);
            empty.send(PeerMessage.INTERESTED);
            assertThat(empty.read()).isEqualTo(PeerMessage.UNCHOKE);
            empty.send(new PeerMessage.Request(0, 0, 16384));
            empty.assertSilentFor(200);
            assertThat(server.protocolErrors()).isZero();
        }
    }

    /**
     * A piece withdrawn after it was announced ({@link PeerWireServer#donthave}): BEP 54 {@code lt_donthave} to a
     * peer that asked for it under the id it chose, and its queued requests for the piece rejected (BEP 6).
     */
    @Test
    void aWithdrawnPieceIsToldWithLtDontHaveToPeersThatAskedForIt() throws IOException {
        try (Client c = new Client(); Client plain = unchokedClient()) {
            c.out.writeHandshake(new Handshake(Handshake.ourReservedWithFast(), swarmId,
                    "-XX0000-fastclientid".getBytes()));
            c.out.flush();
            c.in.readFully(new byte[68]);
            c.send(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(DontHave.NAME, 7L)))));
            assertThat(c.read()).isInstanceOf(PeerMessage.Extended.class);
            assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);
            c.send(PeerMessage.INTERESTED);
            assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);

            server.donthave(swarmId, 4);

            PeerMessage m = c.read();
            assertThat(m).isInstanceOf(PeerMessage.Extended.class);
            PeerMessage.Extended e = (PeerMessage.Extended) m;
            assertThat(e.extendedId()).isEqualTo(7);
            assertThat(e.payload()).containsExactly(0, 0, 0, 4);
            assertThat(DontHave.piece(e.payload(), PIECES)).isEqualTo(4);
            plain.assertSilentFor(200); // it did not ask for lt_donthave
        }
    }

    /**
     * The pieces this host is fetching ({@link PeerWireServer#fetching}): {@code bs_fetching} to a peer that asked
     * for it under the id it chose, and an end told when the fetch ends without the piece; a {@code have} for the
     * piece ends its advertisement, so the end of a fetch that got the piece costs no message.
     */
    @Test
    void piecesBeingFetchedAreToldWithBsFetchingAndAHaveEndsThem() throws IOException {
        try (Client c = new Client(); Client plain = unchokedClient()) {
            c.handshake(swarmId, true);
            c.send(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(Fetching.NAME, 9L)))));
            assertThat(c.read()).isInstanceOf(PeerMessage.Extended.class);
            assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);

            server.fetching(swarmId, MISSING, true);
            assertThat(fetchingChanges(c)).containsExactly(new Fetching.Change(MISSING, true));
            server.fetching(swarmId, MISSING, false);
            assertThat(fetchingChanges(c)).containsExactly(new Fetching.Change(MISSING, false));

            server.fetching(swarmId, MISSING, true);
            assertThat(fetchingChanges(c)).containsExactly(new Fetching.Change(MISSING, true));
            server.announce(swarmId, MISSING);
            assertThat(c.read()).isEqualTo(new PeerMessage.Have(MISSING));
            server.fetching(swarmId, MISSING, false);
            c.assertSilentFor(200);
            assertThat(server.fetchingMessages()).isEqualTo(3);
            assertThat(plain.read()).as("a peer that did not ask gets the have only")
                    .isEqualTo(new PeerMessage.Have(MISSING));
            plain.assertSilentFor(200);
        }
    }

    /** Have suppression: a peer the host knows holds the piece (by its handshake's peer id) is not told it arrived. */
    @Test
    void aHaveIsLeftOutToAPeerThatHoldsThePieceAlready() throws IOException {
        try (Client holder = referralClient(1111); Client other = referralClient(2222)) {
            ByteBuffer holderId = ByteBuffer.wrap("-BS0100-client__1111".getBytes(StandardCharsets.US_ASCII));
            server.announce(swarmId, MISSING, id -> id.equals(holderId));
            assertThat(other.read()).isEqualTo(new PeerMessage.Have(MISSING));
            holder.assertSilentFor(200);
            assertThat(server.havesLeftOut()).isEqualTo(1);
            server.announce(swarmId, MISSING, id -> false);
            assertThat(holder.read()).isEqualTo(new PeerMessage.Have(MISSING));
            assertThat(other.read()).isEqualTo(new PeerMessage.Have(MISSING));
        }
    }

    /** A fast, urgent client that asks for {@code bs_referral} under 5 and listens on {@code port}; unchoked. */
    private Client referralClient(int port) throws IOException {
        Client c = new Client();
        c.out.writeHandshake(new Handshake(Handshake.ourReservedWithFast(), swarmId,
                ("-BS0100-client__" + port).getBytes(StandardCharsets.US_ASCII)));
        c.out.flush();
        c.in.readFully(new byte[68]);
        c.send(new PeerMessage.Extended(0, Bencode.encode(Map.of("m", Map.of(Referral.NAME, 5L), "p", (long) port,
                "urgent", 1L))));
        assertThat(c.read()).isInstanceOf(PeerMessage.Extended.class);
        assertThat(c.read()).isInstanceOf(PeerMessage.Bitfield.class);
        c.send(PeerMessage.INTERESTED);
        assertThat(c.read()).isEqualTo(PeerMessage.UNCHOKE);
        return c;
    }

    /** Requests both blocks of piece 1 (32 KiB). */
    private static void requestPieceOne(Client c) throws IOException {
        c.send(new PeerMessage.Request(1, 0, 16384), new PeerMessage.Request(1, 16384, 16384));
    }

    private void assertServedPieceOne(Client c) throws IOException {
        assertThat(((PeerMessage.Piece) c.read()).block()).isEqualTo(slice(1, 0, 16384));
        assertThat(((PeerMessage.Piece) c.read()).block()).isEqualTo(slice(1, 16384, 16384));
    }

    private static Referral.Holders referral(Client c) throws IOException {
        PeerMessage m = c.read();
        assertThat(m).isInstanceOf(PeerMessage.Extended.class);
        PeerMessage.Extended e = (PeerMessage.Extended) m;
        assertThat(e.extendedId()).isEqualTo(5);
        return Referral.holders(e.payload(), PIECES);
    }

    private static InetSocketAddress listening(int port) {
        return new InetSocketAddress(InetAddress.getLoopbackAddress(), port);
    }

    /**
     * Referrals on ({@link PeerWireServer#referring}): the first agent to ask for a piece is served; the second is
     * sent a {@code bs_referral} naming the first and rejects for both blocks, and served when it asks again on the
     * same connection; the third is referred to both, the referred one first (it will hold the piece soon); once
     * the window passed, no one is referred.
     */
    @Test
    void aSecondRequesterIsReferredToTheFirstAndServedWhenItAsksAgain() throws IOException {
        server.referring(Duration.ofSeconds(60), 4);
        try (Client a = referralClient(6001); Client b = referralClient(6002); Client c = referralClient(6003)) {
            requestPieceOne(a);
            assertServedPieceOne(a);
            await("the seed noted the piece sent", () -> server.referralBook().pieces() == 1);

            requestPieceOne(b);
            assertThat(referral(b)).isEqualTo(new Referral.Holders(1, List.of(listening(6001))));
            assertThat(b.read()).isEqualTo(new PeerMessage.RejectRequest(1, 0, 16384));
            assertThat(b.read()).isEqualTo(new PeerMessage.RejectRequest(1, 16384, 16384));
            assertThat(server.referrals()).isEqualTo(1);

            requestPieceOne(b);
            assertServedPieceOne(b);

            requestPieceOne(c);
            assertThat(referral(c).holders()).containsExactly(listening(6002), listening(6001));
            assertThat(c.read()).isEqualTo(new PeerMessage.RejectRequest(1, 0, 16384));
            assertThat(c.read()).isEqualTo(new PeerMessage.RejectRequest(1, 16384, 16384));
            assertThat(server.referrals()).isEqualTo(2);
            assertThat(uploaded.get()).as("piece 1 sent twice: to a and to b when it asked again")
                    .isEqualTo(2L * PIECE);
        }
        clock.advance(Duration.ofSeconds(61));
        try (Client d = referralClient(6004)) {
            requestPieceOne(d);
            assertServedPieceOne(d);
            assertThat(server.referrals()).as("past the window no one is named").isEqualTo(2);
        }
    }

    /** Without referrals turned on, or for a peer that did not ask for {@code bs_referral}, a request is served. */
    @Test
    void noReferralWhenTheServerDoesNotReferOrThePeerDidNotAsk() throws IOException {
        try (Client a = referralClient(6001); Client b = referralClient(6002)) {
            requestPieceOne(a);
            assertServedPieceOne(a);
            requestPieceOne(b);
            assertServedPieceOne(b);
        }
        server.referring(Duration.ofSeconds(60), 4);
        try (Client a = referralClient(6001); Client plain = unchokedClient()) {
            requestPieceOne(a);
            assertServedPieceOne(a);
            await("the seed noted the piece sent", () -> server.referralBook().pieces() == 1);
            requestPieceOne(plain);
            assertServedPieceOne(plain);
        }
        assertThat(server.referrals()).isZero();
    }

    private static List<Fetching.Change> fetchingChanges(Client c) throws IOException {
        PeerMessage m = c.read();
        assertThat(m).isInstanceOf(PeerMessage.Extended.class);
        PeerMessage.Extended e = (PeerMessage.Extended) m;
        assertThat(e.extendedId()).isEqualTo(9);
        return Fetching.changes(e.payload(), PIECES);
    }

    @Test
    void badHandshakesCloseTheConnection() throws Exception {
        long errors = server.protocolErrors();
        try (Client c = new Client()) {
            c.sendRaw("GET /announce HTTP/1.1\r\nHost: x\r\n\r\n".repeat(3).getBytes(StandardCharsets.US_ASCII));
            assertClosedWithProtocolError("HTTP request", c, errors);
        }
        try (Client c = new Client()) {
            byte[] hs = new byte[68];
            hs[0] = 19;
            System.arraycopy("BitTorrent protocoX".getBytes(StandardCharsets.US_ASCII), 0, hs, 1, 19);
            c.sendRaw(hs);
            assertClosedWithProtocolError("wrong protocol string", c, errors + 1);
        }
    }

    @Test
    void aSilentPeerIsDroppedAtTheHandshakeDeadline() throws Exception {
        server.close();
        server = startServer(1, Duration.ofMillis(300), new MemorySwarm(PieceSet.full(PIECES), uploaded),
                new MemorySwarm(new PieceSet(PIECES), uploadedEmpty));
        try (Client c = new Client()) {
            await("accepted", () -> server.pendingHandshakes() == 1);
            clock.advance(Duration.ofMillis(299));
            server.sweep();
            c.assertSilentFor(50);
            clock.advance(Duration.ofMillis(1));
            server.sweep();
            assertThat(c.closedByServer()).isTrue();
        }
        assertThat(server.protocolErrors()).isZero();
        assertThat(server.handshakeTimeouts()).isEqualTo(1);
        await("slot released", () -> server.openConnections() == 0);
        // the single slot is free again
        retry(() -> {
            try (Client c = new Client()) {
                c.handshake(swarmId, false);
                return c.read() instanceof PeerMessage.Bitfield;
            }
        });
    }

    private interface IoCondition {
        boolean test() throws IOException;
    }

    /** Waits until {@code attempt} holds, an I/O error counting as not yet. */
    private static void retry(IoCondition attempt) {
        Awaitility.await().atMost(Duration.ofSeconds(10)).ignoreExceptionsInstanceOf(IOException.class)
                .until(attempt::test);
    }

    @Test
    void connectionsBeyondTheLimitAreRefused() throws Exception {
        server.close();
        server = startServer(2, Duration.ofSeconds(5), new MemorySwarm(PieceSet.full(PIECES), uploaded),
                new MemorySwarm(new PieceSet(PIECES), uploadedEmpty));
        Client a = new Client();
        a.handshake(swarmId, false);
        Client b = new Client();
        b.handshake(swarmId, false);
        assertThat(server.openConnections()).isEqualTo(2);
        try (Client c = new Client()) {
            assertThat(c.closedByServer()).as("third connection closed at accept").isTrue();
        }
        assertThat(server.openConnections()).isEqualTo(2);
        assertThat(server.refusedAtConnectionCap()).isEqualTo(1);
        // the first two still work
        for (Client k : List.of(a, b)) {
            assertThat(k.read()).isInstanceOf(PeerMessage.Bitfield.class);
            k.send(PeerMessage.INTERESTED, new PeerMessage.Request(0, 0, 5));
            assertThat(k.read()).isEqualTo(PeerMessage.UNCHOKE);
            assertThat(((PeerMessage.Piece) k.read()).block()).isEqualTo(slice(0, 0, 5));
        }
        a.close();
        await("slot released", () -> server.openConnections() == 1);
        retry(() -> {
            try (Client c = new Client()) {
                c.handshake(swarmId, false);
                return c.read() instanceof PeerMessage.Bitfield;
            }
        });
        b.close();
        assertThat(server.protocolErrors()).isZero();
    }

    @Test
    void closeClosesOpenConnectionsAndStopsListening() throws Exception {
        Client a = unchokedClient();
        Client b = new Client();
        b.handshake(swarmId, false);
        assertThat(server.openConnections()).isEqualTo(2);
        int port = server.port();
        server.close();
        for (Client k : List.of(a, b)) {
            // b may still have its bitfield buffered; a has read everything
            try {
                PeerMessage m;
                do {
                    m = k.read();
                } while (m instanceof PeerMessage.Bitfield);
                fail("expected the connection to be closed, got " + m);
            } catch (EOFException | SocketException expected) {
                // closed
            }
        }
        await("connections closed", () -> server.openConnections() == 0);
        assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                .isInstanceOf(ConnectException.class);
        server.close(); // twice is harmless
    }

    @Test
    void serverRejectsABadPeerId() {
        assertThatThrownBy(() -> new PeerWireServer(PeerWireServer.Settings.defaults(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0)), id -> Optional.empty(), new byte[19], PeerAccess.OPEN))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aFailingSwarmClosesOnlyThatConnection() throws Exception {
        server.close();
        ServedSwarm broken = new MemorySwarm(PieceSet.full(PIECES), uploaded) {
            @Override
            public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
                if (piece == 3) {
                    throw new IllegalStateException("disk on fire");
                }
                super.readBlock(piece, begin, dst, length);
            }
        };
        server = startServer(4, Duration.ofSeconds(5), broken, new MemorySwarm(new PieceSet(PIECES), uploadedEmpty));
        try (Client c = unchokedClient()) {
            c.send(new PeerMessage.Request(3, 0, 100));
            assertThat(c.closedByServer()).isTrue();
        }
        await("connection released", () -> server.openConnections() == 0);
        try (Client c = unchokedClient()) {
            c.send(new PeerMessage.Request(1, 0, 100));
            assertThat(((PeerMessage.Piece) c.read()).block()).isEqualTo(slice(1, 0, 100));
        }
    }

    @Test
    void aSwarmsLimiterForAPiecePacesOnlyThatPiecesBlocks() throws Exception {
        server.close();
        // a bucket of one block that refills by 1/8 s of the test's clock per block
        RateLimiter slow = new RateLimiter(128 * 1024, 16 * 1024, clock);
        ServedSwarm paced = new MemorySwarm(PieceSet.full(PIECES), uploaded) {
            @Override
            public RateLimiter limiterFor(int piece) {
                return piece == 1 ? slow : RateLimiter.UNLIMITED;
            }
        };
        server = startServer(4, Duration.ofSeconds(5), paced, new MemorySwarm(new PieceSet(PIECES), uploadedEmpty));
        try (Client throttled = unchokedClient(); Client free = unchokedClient()) {
            for (int b = 0; b < 8; b++) {
                throttled.out.write(new PeerMessage.Request(1, (b % 2) * 16384, 16384));
            }
            throttled.out.flush();
            // the bucket lets one block of piece 1 through (it waits in the server's write buffer while the
            // next waits for the bucket: blocks are counted on the server's side); meanwhile another piece
            // passes at once
            await("the second block of piece 1 waits for the clock",
                    () -> server.blocksServed() == 1 && slow.callersIn(false) == 1);
            free.send(new PeerMessage.Request(0, 0, 16384), new PeerMessage.Request(0, 16384, 16384));
            assertThat(((PeerMessage.Piece) free.read()).block()).isEqualTo(slice(0, 0, 16384));
            assertThat(((PeerMessage.Piece) free.read()).block()).isEqualTo(slice(0, 16384, 16384));
            await("three blocks sent", () -> server.blocksServed() == 3);
            // 16 KiB at 128 KiB/s: each 1/8 s of the clock lets exactly one more block of piece 1 through
            for (int b = 1; b < 8; b++) {
                clock.advance(Duration.ofMillis(125));
                long served = 3 + b;
                await("block " + b + " of piece 1 sent, and no more", () -> server.blocksServed() == served
                        && (served == 10 || slow.callersIn(false) == 1));
            }
            for (int b = 0; b < 8; b++) {
                assertThat(((PeerMessage.Piece) throttled.read()).block()).isEqualTo(slice(1, (b % 2) * 16384, 16384));
            }
            assertThat(slow.available()).isZero();
        }
    }

    @Test
    void closingAConnectionWhoseWriterIsReadingAFileLeavesTheFileOpenForTheOthers(@TempDir Path dir) throws Exception {
        server.close();
        Path file = dir.resolve("image");
        Files.write(file, data);
        Semaphore inRead = new Semaphore(0);
        Semaphore mayRead = new Semaphore(0);
        AtomicBoolean holdNext = new AtomicBoolean(true);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            ServedSwarm onDisk = new MemorySwarm(PieceSet.full(PIECES), uploaded) {
                @Override
                public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
                    if (holdNext.getAndSet(false)) {
                        inRead.release();
                        mayRead.acquireUninterruptibly(); // keeps an interrupt pending, as a slow disk would
                    }
                    channel.read(ByteBuffer.wrap(dst, 0, length), (long) piece * PIECE + begin);
                }
            };
            server = startServer(4, Duration.ofSeconds(5), onDisk, new MemorySwarm(new PieceSet(PIECES), uploadedEmpty));
            Client leaving = unchokedClient();
            leaving.send(new PeerMessage.Request(1, 0, 100));
            inRead.acquire();
            UploadConnection connection = server.connections().iterator().next();
            leaving.close();
            // the server notices the peer left: its socket is closed (while the writer is still in the file)
            await("the server closed the connection", () -> connection.socket.isClosed());
            mayRead.release();
            await("connection released", () -> server.openConnections() == 0);
            assertThat(channel.isOpen()).as("the swarm's file channel").isTrue();
            try (Client next = unchokedClient()) {
                next.send(new PeerMessage.Request(4, 10, 1000));
                assertThat(((PeerMessage.Piece) next.read()).block()).isEqualTo(slice(4, 10, 1000));
            }
        }
    }

    @Test
    void queuedControlMessagesDoNotCountAgainstThePeersRequestBudget() throws Exception {
        server.close();
        RateLimiter slow = new RateLimiter(128 * 1024, 16 * 1024, clock);
        var settings = new PeerWireServer.Settings(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 4,
                Duration.ofSeconds(5), Duration.ofSeconds(30), 4, 8, slow, Duration.ofSeconds(60));
        MemorySwarm swarm = new MemorySwarm(PieceSet.full(PIECES), uploaded);
        server = new PeerWireServer(settings, id -> Optional.of(swarm), SERVER_PEER_ID, PeerAccess.OPEN, clock).start();
        try (Client c = unchokedClient()) {
            // the first block takes the bucket, the second waits for the clock; then 8 more are queued: the budget
            c.send(new PeerMessage.Request(0, 0, 16384), new PeerMessage.Request(1, 0, 16384));
            await("one served, one waiting", () -> server.blocksServed() == 1 && slow.callersIn(false) == 1);
            for (int i = 0; i < 8; i++) {
                c.out.write(new PeerMessage.Request(i % PIECES, 0, 16384));
            }
            c.out.flush();
            await("eight queued", () -> server.connections().iterator().next().queued() == 8);
            c.send(new PeerMessage.Request(5, 0, 16384));
            assertThat(Sockets.closedByOtherSide(c.socket, c.in, Duration.ofSeconds(5)))
                    .as("a ninth queued request breaks the budget").isTrue();
            assertThat(server.protocolErrors()).isEqualTo(1);
        }
        await("first connection gone", () -> server.connections().isEmpty());
        try (Client c = unchokedClient()) {
            c.send(new PeerMessage.Request(0, 0, 16384));
            await("one waiting", () -> slow.callersIn(false) == 1);
            for (int i = 0; i < 7; i++) {
                c.out.write(new PeerMessage.Request(i % PIECES, 0, 16384));
            }
            c.out.flush();
            await("seven queued", () -> server.connections().iterator().next().queued() == 7);
            for (int piece = 0; piece < PIECES; piece++) {
                server.announce(swarmId, piece); // queued for the writer, which waits at the limiter
            }
            c.send(new PeerMessage.Request(5, 0, 16384));
            await("eight queued", () -> server.connections().iterator().next().queued() == 8);
            c.send(PeerMessage.KEEP_ALIVE);
            assertThat(server.protocolErrors()).as("eight queued and haves waiting are within the budget").isEqualTo(1);
            assertThat(server.connections()).hasSize(1);
        }
    }
}
