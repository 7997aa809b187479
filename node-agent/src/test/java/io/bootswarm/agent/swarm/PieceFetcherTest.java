package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How a swarm session fetches pieces, against peers played by hand ({@link StandInPeer}) over
 * loopback sockets, with time on a {@link ManualClock}: a piece times out only when the clock says
 * so, a prefetch raised to a demand fetch moves to the urgent connection, a peer sending bad bytes
 * is banned, and a prefetch waits for the seed partition or a piece timeout before it asks the seed.
 * Assertions are on the requests and cancels the peers got, and on the session's counts.
 */
class PieceFetcherTest {

    static final Duration PIECE_TIMEOUT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    final List<AutoCloseable> closing = new ArrayList<>();
    final byte[] image = SwarmExchangeTest.image(10, 11);
    final Manifest manifest;
    /** What the stand-in tracker answers; the tracker is asked once, at start (its interval is an hour). */
    final List<Peer> named = new CopyOnWriteArrayList<>();
    final List<String> agentIds = new CopyOnWriteArrayList<>();

    PieceFetcherTest() throws IOException {
        manifest = SwarmExchangeTest.manifest(image);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    StandInPeer peer() throws IOException {
        StandInPeer p = new StandInPeer(manifest, image);
        closing.add(p);
        return p;
    }

    PieceStore store;

    SwarmSession session(int maxAttempts) throws IOException {
        store = PieceStore.open(dir.resolve("store"), SwarmExchangeTest.PIECE, Duration.ofSeconds(1));
        closing.add(store);
        SwarmSettings settings = new SwarmSettings(0, null, null, PIECE_TIMEOUT, maxAttempts, null, 0, null, null, 0,
                1, null, null);
        byte[] peerId = "-BS0100-fetchertest1".getBytes();
        SwarmSession s = new SwarmSession(manifest, store, a -> new Announcer.Result(Duration.ofHours(1),
                List.copyOf(named), List.copyOf(agentIds)), settings, peerId, 1, RateLimiter.UNLIMITED, piece -> {
                }, new SimpleMeterRegistry(), clock);
        closing.add(s);
        return s.start();
    }

    int nonZeroPiece(int from) {
        return IntStream.range(from, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).findFirst().orElseThrow();
    }

    CompletableFuture<Void> demand(SwarmSession s, int piece) {
        return CompletableFuture.runAsync(() -> {
            try {
                s.require(piece);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
    }

    @Test
    void aPieceThePeerDoesNotSendTimesOutOnlyWhenTheClockPassesThePieceTimeoutAndFailsAfterMaxAttempts()
            throws Exception {
        StandInPeer silent = peer();
        named.add(silent.peer(false));
        SwarmSession s = session(2);
        int piece = nonZeroPiece(1);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> silent.requests(piece, true) == 1);
        assertThat(read).isNotDone();

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(() -> silent.requests(piece, true) == 2);
        assertThat(silent.cancels(piece, true)).as("the timed-out request withdrawn").isEqualTo(1);
        assertThat(read).isNotDone();

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(read::isDone);
        assertThat(read).isCompletedExceptionally();
        assertThat(read.exceptionNow()).hasMessageContaining("after 2 attempts").hasMessageContaining("timed out");
        assertThat(silent.cancels(piece, true)).isEqualTo(2);
        assertThat(s.have(piece)).isFalse();
        assertThat(s.stats().piecesFetched()).isZero();
    }

    @Test
    void aPeerWhoseBytesFailVerificationIsBannedAndThePieceComesFromAnother() throws Exception {
        StandInPeer bad = peer();
        bad.corrupt();
        StandInPeer good = peer();
        named.add(bad.peer(false));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);
        bad.serve(piece);
        good.serve(piece);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> !s.stats().bannedPeers().isEmpty());
        s.peerSeen(good.peer(false)); // a second peer turns up
        read.get();

        SwarmSession.Stats st = s.stats();
        assertThat(st.verificationFailures()).isEqualTo(1);
        assertThat(st.bannedPeers()).containsExactly(PeerDirectory.key(bad.peer(false)));
        assertThat(st.piecesByPeer()).containsExactly(java.util.Map.entry(PeerDirectory.key(good.peer(false)), 1L));
        ByteBuffer got = ByteBuffer.allocate(manifest.pieceLength(piece));
        store.read(manifest.hash(piece), 0, got);
        assertThat(got.array()).isEqualTo(Arrays.copyOfRange(image, (int) manifest.pieceOffset(piece),
                (int) manifest.pieceOffset(piece) + manifest.pieceLength(piece)));
        assertThat(bad.accepted()).as("a banned peer is not dialled again").isEqualTo(1);
    }

    @Test
    void aDemandForAPieceBeingPrefetchedRaisesThatFetchToTheUrgentConnection() throws Exception {
        StandInPeer seed = peer();
        named.add(seed.peer(true));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);

        CompletableFuture<Void> prefetch = s.prefetch(piece);
        await().until(() -> seed.requests(piece, false) == 1);
        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> seed.requests(piece, true) == 1);
        assertThat(seed.cancels(piece, false)).as("the prefetch request withdrawn").isEqualTo(1);
        assertThat(s.inFlight(piece)).isTrue();

        seed.serve(piece);
        read.get();
        prefetch.get();
        assertThat(s.stats().escalations()).isEqualTo(1);
        assertThat(s.stats().piecesFetched()).isEqualTo(1);
        assertThat(s.stats().piecesFromSeed()).isEqualTo(1);
        assertThat(s.have(piece)).isTrue();
        assertThat(s.inFlight(piece)).isFalse();
    }

    @Test
    void aPrefetchAsksTheSeedForAPieceItDoesNotOwnOnlyAfterAPieceTimeoutOnTheClock() throws Exception {
        StandInPeer seed = peer();
        named.add(seed.peer(true));
        agentIds.add("00".repeat(20)); // one other agent: the pieces are split between two owners
        SwarmSession s = session(0);
        await().until(() -> s.seedPartition().size() == 2);
        int notOwned = IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)
                && !s.seedPartition().owns(p)).findFirst().orElseThrow();
        int owned = IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)
                && s.seedPartition().owns(p)).findFirst().orElseThrow();
        seed.serve(owned);

        s.prefetch(owned).get(); // an owned piece goes to the seed at once
        CompletableFuture<Void> prefetch = s.prefetch(notOwned);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> seed.requests(notOwned, false) == 0);

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(() -> seed.requests(notOwned, false) == 1);
        seed.serve(notOwned);
        prefetch.get();
        assertThat(s.stats().piecesFromSeed()).isEqualTo(2);
        assertThat(s.stats().escalations()).isZero();
    }
}
