package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.WireLimits;
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
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
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
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    SwarmSession session(int maxAttempts) throws IOException {
        return session(settings(maxAttempts));
    }

    static SwarmSettings settings(int maxAttempts) {
        return new SwarmSettings(0, null, null, PIECE_TIMEOUT, maxAttempts, null, 0, null, null, 0, 1, null, null);
    }

    SwarmSession session(SwarmSettings settings) throws IOException {
        store = PieceStore.open(dir.resolve("store"), SwarmExchangeTest.PIECE, Duration.ofSeconds(1));
        closing.add(store);
        byte[] peerId = "-BS0100-fetchertest1".getBytes();
        SwarmSession s = new SwarmSession(manifest, store, a -> new Announcer.Result(Duration.ofHours(1),
                List.copyOf(named), List.copyOf(agentIds)), settings, peerId, 1, RateLimiter.UNLIMITED, piece -> {
                }, meters, clock);
        closing.add(s);
        return s.start();
    }

    byte[] bytesOf(int piece) {
        return Arrays.copyOfRange(image, (int) manifest.pieceOffset(piece),
                (int) manifest.pieceOffset(piece) + manifest.pieceLength(piece));
    }

    byte[] stored(int piece) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(manifest.pieceLength(piece));
        store.read(manifest.hash(piece), 0, got);
        return got.array();
    }

    int nonZeroPiece(int from) {
        return IntStream.range(from, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).findFirst().orElseThrow();
    }

    /**
     * Waits for {@code f} and returns its value; a bound (not an assertion on time) so that a read that never
     * completes fails the test instead of hanging it.
     */
    static <T> T completed(CompletableFuture<T> f) throws Exception {
        return f.get(30, java.util.concurrent.TimeUnit.SECONDS);
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
    void aCacheHintOnAVirtualDiskPrefetchesThroughTheSessionAtNormalPriority() throws Exception {
        StandInPeer seed = peer();
        named.add(seed.peer(true));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);
        VirtualDisk disk = VirtualDisk.open(manifest, store, s, dir.resolve("overlay"), VirtualDisk.AccessListener.NONE);
        closing.add(disk);

        disk.cache(manifest.pieceOffset(piece), 1);
        await().until(() -> seed.requests(piece, false) == 1);
        seed.serve(piece);
        await().until(() -> s.have(piece));

        assertThat(seed.requests(piece, true)).as("no demand fetch").isZero();
        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(disk.cachePending()).isZero();
    }

    @Test
    void aDemandReadWaitsOutItsDeadlineOnTheClockRetryingTheOnlySourceAndThenNamesItAndWhatWentWrong()
            throws Exception {
        StandInPeer silent = peer();
        named.add(silent.peer(false));
        SwarmSession s = session(settings(1).withLimits(0, Duration.ofSeconds(12), null, null, null));
        int piece = nonZeroPiece(1);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> silent.requests(piece, true) == 1);
        assertThat(read).isNotDone();

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(() -> silent.requests(piece, true) == 2);
        assertThat(silent.cancels(piece, true)).as("the timed-out request withdrawn").isEqualTo(1);
        assertThat(s.stats().snubbedPeers()).containsExactly(PeerDirectory.key(silent.peer(false)));
        assertThat(read).as("one attempt is no reason to fail a read").isNotDone();

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(() -> silent.requests(piece, true) == 3);
        assertThat(read).isNotDone();

        clock.advance(Duration.ofSeconds(2)); // 12 s since the read began
        await().until(read::isDone);
        assertThat(read).isCompletedExceptionally();
        assertThat(read.exceptionNow()).hasMessageContaining("piece " + piece + " of " + manifest.name())
                .hasMessageContaining("within PT12S")
                .hasMessageContaining(PeerDirectory.key(silent.peer(false)) + ": 3 attempts")
                .hasMessageContaining("timed out");
        assertThat(silent.cancels(piece, true)).isEqualTo(3);
        assertThat(s.have(piece)).isFalse();
        assertThat(s.stats().piecesFetched()).isZero();
    }

    @Test
    void aPrefetchTheOnlyPeerDoesNotSendFailsAfterMaxAttemptsPieceTimeouts() throws Exception {
        StandInPeer silent = peer();
        named.add(silent.peer(false));
        SwarmSession s = session(2);
        int piece = nonZeroPiece(1);

        CompletableFuture<Void> prefetch = s.prefetch(piece);
        await().until(() -> silent.requests(piece, false) == 1);
        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(() -> silent.requests(piece, false) == 2);
        assertThat(prefetch).isNotDone();
        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(prefetch::isDone);
        assertThat(prefetch.exceptionNow()).hasMessageContaining("after 2 attempts")
                .hasMessageContaining(PeerDirectory.key(silent.peer(false)) + ": 2 attempts");
    }

    @Test
    void manyDemandReadsAtOnceKeepWithinTheRequestBudgetThePeerAdvertisesAndAllComplete() throws Exception {
        StandInPeer seed = peer();
        int budget = 3 * SwarmExchangeTest.PIECE / WireLimits.BLOCK_LENGTH; // three pieces' blocks
        seed.limitRequests(budget);
        named.add(seed.peer(true));
        SwarmSession s = session(1);
        List<Integer> pieces = IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).boxed()
                .toList();
        assertThat(pieces).hasSizeGreaterThan(3);

        List<CompletableFuture<Void>> reads = pieces.stream().map(p -> demand(s, p)).toList();
        await().until(() -> requested(seed).size() == 3 || seed.overBudget() > 0);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> requested(seed).size() == 3 && seed.overBudget() == 0);
        assertThat(seed.maxOutstanding()).isEqualTo(budget);
        await().until(() -> meters.get("bootswarm.agent.requests.queued").gauge().value() == pieces.size() - 3);

        Set<Integer> servedPieces = new HashSet<>();
        while (servedPieces.size() < pieces.size()) {
            await().until(() -> requested(seed).size() > servedPieces.size());
            for (int p : requested(seed)) {
                if (servedPieces.add(p)) {
                    seed.serve(p);
                }
            }
        }
        for (CompletableFuture<Void> r : reads) {
            completed(r);
        }
        for (int p : pieces) {
            assertThat(stored(p)).as("piece %d", p).isEqualTo(bytesOf(p));
        }
        assertThat(seed.overBudget()).as("the seed never had to close us").isZero();
        assertThat(seed.maxOutstanding()).isLessThanOrEqualTo(budget);
        assertThat(seed.urgentConnections()).as("one urgent connection did it all").isEqualTo(1);
        assertThat(seed.theirReqq()).as("every connection (the urgent one, and a normal one an announce may open) advertises our own cap")
                .isNotEmpty().containsOnly(500L);
    }

    /**
     * Seed replicas: demand reads at once go to the least busy seed that has the piece, so they spread over both
     * seeds; when one seed dies with requests in flight, they are asked of the other and every read completes.
     */
    @Test
    void demandReadsSpreadOverTwoSeedsAndSurviveLosingOne() throws Exception {
        StandInPeer first = peer();
        StandInPeer second = peer();
        named.add(first.peer(true));
        named.add(second.peer(true));
        SwarmSession s = session(3);
        List<Integer> pieces = IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).boxed()
                .toList();
        assertThat(pieces).hasSizeGreaterThanOrEqualTo(6);
        // one read first, until both seeds are connected (a read asks only connected sources)
        int warm = pieces.getFirst();
        first.serve(warm);
        second.serve(warm);
        completed(demand(s, warm));
        await().until(() -> first.urgentConnections() == 1 && second.urgentConnections() == 1);

        List<Integer> rest = pieces.subList(1, pieces.size());
        List<CompletableFuture<Void>> reads = rest.stream().map(p -> demand(s, p)).toList();
        await().until(() -> asked(first, rest) + asked(second, rest) == rest.size());
        int toFirst = asked(first, rest);
        int toSecond = asked(second, rest);
        assertThat(toFirst).as("reads asked of the first seed").isGreaterThanOrEqualTo(rest.size() / 4);
        assertThat(toSecond).as("reads asked of the second seed").isGreaterThanOrEqualTo(rest.size() / 4);

        first.close();  // dies with its requests unanswered
        for (int p : rest) {
            second.serve(p);
        }
        for (CompletableFuture<Void> r : reads) {
            completed(r);
        }
        for (int p : pieces) {
            assertThat(stored(p)).as("piece %d", p).isEqualTo(bytesOf(p));
        }
        assertThat(asked(second, rest)).as("the lost seed's reads went to the other").isEqualTo(rest.size());
    }

    private static int asked(StandInPeer peer, List<Integer> pieces) {
        return (int) requested(peer).stream().filter(pieces::contains).count();
    }

    /** The pieces whose first block {@code peer} was asked for (urgent), in order. */
    static List<Integer> requested(StandInPeer peer) {
        return peer.received().stream().filter(r -> !r.cancel()).map(StandInPeer.Received::piece).distinct().toList();
    }

    @Test
    void aConnectionTheSeedClosesIsReconnectedAfterTheBackOffAndTheReadCompletesWithoutSpendingAnAttempt()
            throws Exception {
        StandInPeer seed = peer();
        named.add(seed.peer(true));
        SwarmSession s = session(1);
        int piece = nonZeroPiece(1);
        seed.serve(piece);
        seed.dropOnRequest(1);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> s.unreachablePeers().size() == 1);
        assertThat(s.unreachablePeers().values()).singleElement().asString().contains("closed before it delivered");
        assertThat(read).isNotDone();
        clock.advance(PeerDirectory.RECONNECT_BACKOFF.minusMillis(1));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> seed.urgentConnections() == 1 && !read.isDone());

        clock.advance(Duration.ofMillis(1));
        completed(read);
        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(seed.urgentConnections()).isEqualTo(2);
        assertThat(meters.get("bootswarm.agent.peer.reconnects").tag("image", manifest.name()).counter().count())
                .isGreaterThanOrEqualTo(1);
        assertThat(s.unreachablePeers()).as("a delivery ends the back-off").isEmpty();
    }

    /** A tarpit the tracker names, a seed it does not name that serves them, and the image's non-zero pieces. */
    record TarpitFirst(StandInPeer tarpit, StandInPeer seed, List<Integer> pieces) {
    }

    TarpitFirst tarpitFirst() throws IOException {
        StandInPeer tarpit = peer(); // full bitfield, unchoke, then silence
        StandInPeer seed = peer();
        named.add(tarpit.peer(false));
        List<Integer> pieces = IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).boxed()
                .toList();
        for (int p : pieces) {
            seed.serve(p);
        }
        return new TarpitFirst(tarpit, seed, pieces);
    }

    @Test
    void withATarpitAndAnHonestSeedReadsWaitOnePieceTimeoutAtMostAndTheRestGoStraightToTheSeed()
            throws Exception {
        TarpitFirst sources = tarpitFirst();
        StandInPeer tarpit = sources.tarpit();
        StandInPeer seed = sources.seed();
        List<Integer> pieces = sources.pieces();
        SwarmSession s = session(0);

        CompletableFuture<Void> first = demand(s, pieces.get(0));
        await().until(() -> tarpit.requests(pieces.get(0), true) == 1);
        s.peerSeen(seed.peer(true));
        CompletableFuture<Void> second = demand(s, pieces.get(1)); // agents before seeds: the tarpit again
        await().until(() -> tarpit.requests(pieces.get(1), true) == 1);
        await().until(() -> s.readyPeers(true, pieces.get(0)).size() == 2);
        assertThat(first).isNotDone();

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        completed(first);
        completed(second);
        assertThat(s.stats().snubbedPeers()).containsExactly(PeerDirectory.key(tarpit.peer(false)));

        for (int p : pieces.subList(2, pieces.size())) {
            completed(demand(s, p)); // the clock stands still: a read that asked the tarpit would never end
        }
        for (int p : pieces) {
            assertThat(stored(p)).as("piece %d", p).isEqualTo(bytesOf(p));
        }
        assertThat(tarpit.received()).extracting(StandInPeer.Received::piece)
                .containsOnly(pieces.get(0), pieces.get(1));
        assertThat(meters.get("bootswarm.agent.peer.snubbed").tag("image", manifest.name()).gauge().value())
                .isEqualTo(1);
        assertThat(s.stats().piecesFromSeed()).isEqualTo(pieces.size());
    }

    @Test
    void aDemandReadWhoseSourceSendsNothingAsksAnotherAfterTheHedgeTimeAndTheNextReadAsksTheSilentPeerLast()
            throws Exception {
        TarpitFirst sources = tarpitFirst();
        StandInPeer tarpit = sources.tarpit();
        StandInPeer seed = sources.seed();
        List<Integer> pieces = sources.pieces();
        SwarmSettings settings = settings(0);
        assertThat(settings.demandHedge()).isLessThan(PIECE_TIMEOUT);
        SwarmSession s = session(settings);

        CompletableFuture<Void> first = demand(s, pieces.get(0));
        await().until(() -> tarpit.requests(pieces.get(0), true) == 1);
        s.peerSeen(seed.peer(true)); // dialled for demand by the hedge itself
        assertThat(first).isNotDone();
        assertThat(seed.received()).isEmpty();

        clock.advance(settings.demandHedge().plusMillis(1)); // still short of the piece timeout
        completed(first);
        assertThat(stored(pieces.get(0))).isEqualTo(bytesOf(pieces.get(0)));
        assertThat(meters.get("bootswarm.agent.fetch.hedged").tag("image", manifest.name()).counter().count())
                .isEqualTo(1);
        assertThat(s.stats().snubbedPeers()).as("no piece timeout passed").isEmpty();

        completed(demand(s, pieces.get(1))); // the clock stands still: had it asked the tarpit first, it would wait
        assertThat(stored(pieces.get(1))).isEqualTo(bytesOf(pieces.get(1)));
        assertThat(tarpit.received()).extracting(StandInPeer.Received::piece).containsOnly(pieces.get(0));
        assertThat(meters.get("bootswarm.agent.fetch.hedged").tag("image", manifest.name()).counter().count())
                .isEqualTo(1);
        assertThat(s.stats().piecesFromSeed()).isEqualTo(2);
    }

    @Test
    void aBlockReceivedTwiceCountsOnceSoThePieceWaitsForItsLastBlockAndNobodyIsBanned() throws Exception {
        StandInPeer peer = peer();
        named.add(peer.peer(false));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);
        int blocks = manifest.pieceLength(piece) / WireLimits.BLOCK_LENGTH;

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> peer.requests(piece, true) == 1);
        int[] allButLastWithFirstTwice = IntStream.concat(IntStream.of(0), IntStream.range(0, blocks - 1)).toArray();
        peer.serveBlocks(piece, allButLastWithFirstTwice);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> !read.isDone());

        peer.serveBlocks(piece, blocks - 1);
        completed(read);
        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(s.stats().verificationFailures()).isZero();
        assertThat(s.stats().bannedPeers()).isEmpty();
    }

    @Test
    void aSeedThatServedARottenPieceIsBannedBrieflyAndThenServesTheReadAgain() throws Exception {
        StandInPeer seed = peer();
        seed.corrupt();
        named.add(seed.peer(true));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);
        seed.serve(piece);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> s.stats().bannedPeers().size() == 1);
        seed.heal();
        Duration seedBan = SwarmSettings.defaults().seedBanDuration();
        clock.advance(seedBan.minusMillis(1));
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> !read.isDone() && seed.urgentConnections() == 1);

        clock.advance(Duration.ofMillis(1));
        completed(read);
        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(s.stats().bannedPeers()).isEmpty();
        assertThat(s.stats().verificationFailures()).isEqualTo(1);
        assertThat(seed.urgentConnections()).isEqualTo(2);
    }

    @Test
    void anAgentThatServedARottenPieceIsDialledAgainOnlyOnceItsBanExpires() throws Exception {
        StandInPeer bad = peer();
        bad.corrupt();
        named.add(bad.peer(false));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);
        bad.serve(piece);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> s.stats().bannedPeers().size() == 1);
        int dialled = bad.accepted();
        Duration ban = SwarmSettings.defaults().banDuration();
        clock.advance(ban.minusMillis(1));
        await().until(read::isDone);
        assertThat(read.exceptionNow()).as("no source within the demand deadline")
                .hasMessageContaining(PeerDirectory.key(bad.peer(false)) + ": 1 attempt, last: failed SHA-256");
        s.connectForPrefetch();
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> bad.accepted() == dialled);

        clock.advance(Duration.ofMillis(1));
        s.connectForPrefetch();
        await().until(() -> bad.accepted() > dialled);
        assertThat(s.stats().bannedPeers()).isEmpty();
    }

    @Test
    void closingASessionDoesNotInterruptAFetchThatIsStoringItsPiece() throws Exception {
        StandInPeer seed = peer();
        named.add(seed.peer(true));
        SwarmSession s = session(0);
        int piece = nonZeroPiece(1);
        seed.serve(piece);
        CountDownLatch storing = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        AtomicBoolean interrupted = new AtomicBoolean();
        store.addListener(hash -> { // runs on the fetch's thread, inside PieceStore.put
            storing.countDown();
            while (!release.get()) {
                LockSupport.parkNanos(1_000_000);
                if (Thread.interrupted()) {
                    interrupted.set(true);
                }
            }
        });

        CompletableFuture<Void> read = demand(s, piece);
        storing.await();
        Thread closer = Thread.ofVirtual().start(s::close);
        await().until(() -> !closer.isAlive() || closer.getState() == Thread.State.WAITING
                || closer.getState() == Thread.State.TIMED_WAITING);
        release.set(true);
        closer.join();
        completed(read);

        assertThat(interrupted).as("the fetch thread was interrupted inside the store").isFalse();
        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
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
        int dialled = bad.accepted();
        s.peerSeen(good.peer(false)); // a second peer turns up
        completed(read);

        SwarmSession.Stats st = s.stats();
        assertThat(st.verificationFailures()).isEqualTo(1);
        assertThat(st.bannedPeers()).containsExactly(PeerDirectory.key(bad.peer(false)));
        assertThat(st.piecesByPeer()).containsExactly(java.util.Map.entry(PeerDirectory.key(good.peer(false)), 1L));
        ByteBuffer got = ByteBuffer.allocate(manifest.pieceLength(piece));
        store.read(manifest.hash(piece), 0, got);
        assertThat(got.array()).isEqualTo(Arrays.copyOfRange(image, (int) manifest.pieceOffset(piece),
                (int) manifest.pieceOffset(piece) + manifest.pieceLength(piece)));
        assertThat(bad.accepted()).as("a banned peer is not dialled again").isEqualTo(dialled);
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
        completed(read);
        completed(prefetch);
        assertThat(s.stats().escalations()).isEqualTo(1);
        assertThat(s.stats().piecesFetched()).isEqualTo(1);
        assertThat(s.stats().piecesFromSeed()).isEqualTo(1);
        assertThat(s.have(piece)).isTrue();
        // the fetch leaves the in-flight map just after completing its future
        await().until(() -> !s.inFlight(piece));
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

        completed(s.prefetch(owned)); // an owned piece goes to the seed at once
        CompletableFuture<Void> prefetch = s.prefetch(notOwned);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> seed.requests(notOwned, false) == 0);

        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(() -> seed.requests(notOwned, false) == 1);
        seed.serve(notOwned);
        completed(prefetch);
        assertThat(s.stats().piecesFromSeed()).isEqualTo(2);
        assertThat(s.stats().escalations()).isZero();
    }

    @Test
    void aFillKeepsFillConcurrencyPiecesRequestedWhereTheProfileKeptPrefetchConcurrency() throws Exception {
        StandInPeer agent = peer(); // holds every piece, serves only what the test says
        named.add(agent.peer(false));
        SwarmSettings d = settings(0);
        SwarmSettings settings = new SwarmSettings(d.maxConnections(), d.connectTimeout(), d.unchokeTimeout(),
                d.pieceTimeout(), d.maxAttempts(), d.announceRetry(), d.uploadSlots(), d.uploadRate(),
                d.downloadRate(), 1, d.seedPrefetchSlots(), d.crossImage(), d.requestLatency(), d.seedPartition(),
                d.maxRequestsPerPeer(), d.demandDeadline(), d.banDuration(), d.seedBanDuration(), d.snubDuration(),
                d.coalesceWait(), 4);
        SwarmSession s = session(settings);
        int first = nonZeroPiece(1);
        int second = nonZeroPiece(first + 1);
        closing.add(new Prefetcher(s, new int[] {first, second}, 1, true, settings.prefetchConcurrency(),
                settings.fillConcurrency(), "fill").start());

        await().until(() -> distinctRequested(agent) == 1);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> distinctRequested(agent) == 1);
        assertThat(agent.requests(first, false)).as("the profile's first piece, alone").isEqualTo(1);

        agent.serve(first); // the profile's last piece goes out, and with nothing left in it the fill begins
        await().until(() -> distinctRequested(agent) == 5);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> distinctRequested(agent) == 5);
        assertThat(agent.requests(second, false)).isEqualTo(1);
        assertThat(s.stats().piecesFetched()).as("4 pieces in flight: the profile's second and 3 of the fill")
                .isEqualTo(1);
    }

    @Test
    void byDefaultAFillingHostKeepsASecondRequestQueuedAtTheSeed() throws Exception {
        StandInPeer seed = peer(); // serves only what the test says
        named.add(seed.peer(true));
        SwarmSettings settings = SwarmSettings.defaults();
        assertThat(settings.seedPrefetchSlots()).isEqualTo(2);
        SwarmSession s = session(settings);
        closing.add(new Prefetcher(s, new int[0], 1, true, settings.prefetchConcurrency(), settings.fillConcurrency(),
                "fill").start());

        await().until(() -> distinctRequested(seed) == 2);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> distinctRequested(seed) == 2);
        int served = seed.received().getFirst().piece();
        seed.serve(served);
        await().until(() -> s.have(served) && distinctRequested(seed) == 3);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> distinctRequested(seed) == 3);
    }

    /**
     * Until the tracker has named the swarm's agents a host knows no other agent, and alone it would own every piece:
     * a fill that chose its seed pieces then would ask the seed for pieces other agents own (or, as they may not go
     * to the seed, hold its seed slots with them) once the answer came. It chooses none as its own before the first
     * announce is answered, and after it both seed slots hold pieces it owns among the named agents.
     */
    @Test
    void aFillChoosesNoSeedPieceBeforeTheTrackerNamedTheAgentsAndThenOnlyPiecesItOwns() throws Exception {
        StandInPeer seed = peer(); // serves only what the test says
        named.add(seed.peer(true));
        byte[] peerId = "-BS0100-fetchertest1".getBytes();
        String self = java.util.HexFormat.of().formatHex(peerId);
        int first = nonZeroPiece(0);
        // another agent that owns the image's first piece, which a host alone would choose first
        String other = IntStream.range(0, 256).mapToObj(i -> String.format("%02x", i).repeat(20))
                .filter(id -> !io.bootswarm.agent.picker.SeedPartition.of(self, List.of(id)).owns(first))
                .findFirst().orElseThrow();
        agentIds.add(other);
        java.util.concurrent.CountDownLatch answered = new java.util.concurrent.CountDownLatch(1);
        SwarmSettings settings = SwarmSettings.defaults();
        store = PieceStore.open(dir.resolve("store"), SwarmExchangeTest.PIECE, Duration.ofSeconds(1));
        closing.add(store);
        SwarmSession s = new SwarmSession(manifest, store, a -> {
            try {
                answered.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new Announcer.Result(Duration.ofHours(1), List.copyOf(named), List.copyOf(agentIds));
        }, settings, peerId, 1, RateLimiter.UNLIMITED, piece -> {
        }, meters, clock);
        closing.add(s);
        s.start();
        closing.add(new Prefetcher(s, new int[0], 1, true, settings.prefetchConcurrency(), settings.fillConcurrency(),
                "fill").start());
        // the fill runs before the answer (its one orphan slot waits for a source)
        await().until(() -> IntStream.range(0, manifest.pieceCount()).anyMatch(s::inFlight));

        answered.countDown();
        await().until(() -> distinctRequested(seed) == 2);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2)).until(() -> distinctRequested(seed) == 2);
        assertThat(s.seedPartition().size()).isEqualTo(2);
        assertThat(seed.received()).allSatisfy(r -> assertThat(s.seedPartition().owns(r.piece()))
                .as("piece %d asked of the seed is this host's", r.piece()).isTrue());
    }

    /**
     * A host connected to agents {@code x} and {@code y} (both hold every piece) that has fetched every non-zero piece
     * but the last one from them: not the endgame yet, as the last piece is missing and not being fetched.
     */
    private SwarmSession allButTheLastPiece(StandInPeer x, StandInPeer y, int last) throws Exception {
        named.add(x.peer(false));
        named.add(y.peer(false));
        SwarmSession s = session(0);
        int[] others = IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p) && p != last).toArray();
        for (int p : others) {
            x.serve(p);
            y.serve(p);
        }
        for (int p : others) {
            completed(s.prefetch(p));
        }
        assertThat(meters.get("bootswarm.agent.fetch.endgame").counter().count()).isZero();
        return s;
    }

    private int lastNonZeroPiece() {
        return IntStream.range(0, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).max().orElseThrow();
    }

    @Test
    void inTheEndgameAFetchAlsoAsksASecondAgentForTheBlocksMissingAndTheSecondCopyIsCancelled() throws Exception {
        StandInPeer x = peer();
        StandInPeer y = peer();
        int last = lastNonZeroPiece();
        SwarmSession s = allButTheLastPiece(x, y, last);

        CompletableFuture<Void> fill = s.prefetch(last); // every piece missing is being fetched: the endgame
        await().until(() -> x.outstandingBlocks(last) > 0 && y.outstandingBlocks(last) > 0);
        x.serveAskedSoFar(last);
        completed(fill);

        assertThat(stored(last)).isEqualTo(bytesOf(last));
        assertThat(x.blocksSent(last)).as("the piece whole from x, whoever was asked first")
                .isEqualTo(manifest.pieceLength(last) / WireLimits.BLOCK_LENGTH);
        assertThat(y.blocksSent(last)).as("blocks y sent").isZero();
        await().until(() -> y.outstandingBlocks(last) == 0); // its requests cancelled
        assertThat(meters.get("bootswarm.agent.fetch.endgame").counter().count()).isEqualTo(1);
        assertThat(s.stats().verificationFailures()).isZero();
    }

    @Test
    void inTheEndgameACopyFetchedAgainWholeAfterAMixedOneFailedIsAskedOfOnePeerOnly() throws Exception {
        StandInPeer x = peer();
        StandInPeer y = peer();
        int last = lastNonZeroPiece();
        SwarmSession s = allButTheLastPiece(x, y, last);
        int blocks = manifest.pieceLength(last) / WireLimits.BLOCK_LENGTH;
        CompletableFuture<Void> fill = s.prefetch(last);
        await().until(() -> x.outstandingBlocks(last) > 0 && y.outstandingBlocks(last) > 0);
        // the front half from one, the back half from the other, one block of it rotten: a mixed copy that fails
        y.corruptNextBlocks(1);
        x.serveAskedSoFar(last, block -> block < blocks / 2);
        y.serveAskedSoFar(last, block -> block >= blocks / 2);
        await().until(() -> s.stats().verificationFailures() == 1);

        // fetched again whole: from one of them, no endgame request to the other
        await().until(() -> x.outstandingBlocks(last) + y.outstandingBlocks(last) == blocks);
        await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(2))
                .until(() -> x.outstandingBlocks(last) == 0 || y.outstandingBlocks(last) == 0);
        (x.outstandingBlocks(last) > 0 ? x : y).serveAskedSoFar(last);
        completed(fill);
        assertThat(stored(last)).isEqualTo(bytesOf(last));
        assertThat(s.stats().verificationFailures()).isEqualTo(1);
    }

    /** Two agents that hold every piece, both connected for demand (a first read served by both). */
    private SwarmSession twoAgentsReady(StandInPeer x, StandInPeer y, int piece) throws Exception {
        named.add(x.peer(false));
        named.add(y.peer(false));
        SwarmSession s = session(0);
        int warm = nonZeroPiece(1);
        x.serve(warm);
        y.serve(warm);
        completed(demand(s, warm));
        await().until(() -> s.readyPeers(true, piece).size() == 2);
        return s;
    }

    @Test
    void aDemandReadAssemblesItsPieceFromBlocksOfTwoAgentsAndItVerifies() throws Exception {
        StandInPeer x = peer();
        StandInPeer y = peer();
        int piece = nonZeroPiece(nonZeroPiece(1) + 1);
        SwarmSession s = twoAgentsReady(x, y, piece);
        assertThat(s.stats().piecesFetched()).isEqualTo(1);
        double split = meters.get("bootswarm.agent.fetch.split").counter().count(); // the first read's

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> x.outstandingBlocks(piece) > 0 && y.outstandingBlocks(piece) > 0);
        // each sends only the run it was asked for first (a request for the other's blocks waits unanswered)
        y.serveAskedSoFar(piece);
        x.serveAskedSoFar(piece);
        completed(read);

        assertThat(x.blocksSent(piece)).as("blocks from the first agent").isPositive();
        assertThat(y.blocksSent(piece)).as("blocks from the second agent").isPositive();
        assertThat(x.blocksSent(piece) + y.blocksSent(piece)).as("no block sent twice")
                .isEqualTo(manifest.pieceLength(piece) / WireLimits.BLOCK_LENGTH);
        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(s.stats().verificationFailures()).isZero();
        assertThat(s.stats().piecesFetched()).isEqualTo(2);
        assertThat(meters.get("bootswarm.agent.fetch.split").counter().count()).isEqualTo(split + 1);
    }

    @Test
    void anAgentDoneWithItsRunIsAskedForTheBlocksASlowerOneHasNotSentAndTheSlowerOnesRequestsAreCancelled()
            throws Exception {
        StandInPeer x = peer();
        StandInPeer y = peer(); // asked for a run of blocks, never sends one
        int piece = nonZeroPiece(nonZeroPiece(1) + 1);
        int blocks = manifest.pieceLength(piece) / WireLimits.BLOCK_LENGTH;
        SwarmSession s = twoAgentsReady(x, y, piece);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> x.outstandingBlocks(piece) + y.outstandingBlocks(piece) == blocks);
        List<Integer> yRun = IntStream.range(0, blocks).filter(b -> y.blockRequests(piece, b) == 1).boxed().toList();
        assertThat(yRun).isNotEmpty().hasSizeLessThan(blocks);
        x.serve(piece);
        completed(read);

        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(y.blocksSent(piece)).isZero();
        for (int b = 0; b < blocks; b++) {
            assertThat(x.blockRequests(piece, b)).as("block %d asked of x", b).isEqualTo(1);
        }
        await().until(() -> y.outstandingBlocks(piece) == 0); // the slower agent's requests cancelled
        assertThat(s.stats().snubbedPeers()).as("no timeout: the clock never moved").isEmpty();
    }

    @Test
    void aPieceAssembledFromTwoAgentsWithOneCorruptBlockBansNobodyAndIsFetchedAgainWholeFromOne() throws Exception {
        StandInPeer x = peer();
        StandInPeer y = peer();
        int piece = nonZeroPiece(nonZeroPiece(1) + 1);
        SwarmSession s = twoAgentsReady(x, y, piece);
        y.corruptNextBlocks(1);

        CompletableFuture<Void> read = demand(s, piece);
        await().until(() -> x.outstandingBlocks(piece) > 0 && y.outstandingBlocks(piece) > 0);
        // each sends only its own run (what it was asked for first): the copy is mixed, one block of it rotten
        y.serveAskedSoFar(piece);
        x.serveAskedSoFar(piece);
        await().until(() -> s.stats().verificationFailures() == 1);
        assertThat(x.blocksSent(piece)).isPositive();
        assertThat(y.blocksSent(piece)).isPositive();
        x.serve(piece);
        y.serve(piece);
        completed(read);

        assertThat(stored(piece)).isEqualTo(bytesOf(piece));
        assertThat(s.stats().verificationFailures()).isEqualTo(1);
        assertThat(s.stats().bannedPeers()).as("either agent may be the innocent one").isEmpty();
    }

    @Test
    void whenAPeerIsSnubbedTheOtherRequestsOnItMoveToAnotherSourceAndKeepTheBlocksReceived() throws Exception {
        StandInPeer x = peer(); // an agent that stops sending after the first blocks of each piece
        StandInPeer seed = peer();
        List<Integer> pieces = IntStream.range(1, manifest.pieceCount()).filter(p -> !manifest.isZero(p)).boxed()
                .toList();
        assertThat(pieces).hasSizeGreaterThanOrEqualTo(5);
        int warm = pieces.get(0);
        int marker = pieces.get(1); // x announces it after its blocks: once it is seen, the blocks before it were
        List<Integer> slow = pieces.subList(2, 5);
        x.lack(marker);
        named.add(x.peer(false));
        named.add(seed.peer(true));
        SwarmSession s = session(0);
        x.serve(warm);
        pieces.forEach(p -> {
            try {
                seed.serve(p);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        completed(demand(s, warm));
        await().until(() -> s.readyPeers(true, slow.getFirst()).size() == 2);

        List<CompletableFuture<Void>> reads = new ArrayList<>();
        for (int p : slow) {
            reads.add(demand(s, p)); // an agent before a seed: each goes to x
            await().until(() -> x.requests(p, true) == 1);
        }
        int kept = 3;
        for (int p : slow) {
            x.serveBlocks(p, 0, 1, 2);
        }
        x.have(marker);
        await().until(() -> s.readyPeers(true, marker).contains(x.peer(false)));
        assertThat(reads).allMatch(r -> !r.isDone());

        clock.advance(PIECE_TIMEOUT.plusMillis(1)); // one request times out; the other two move with it
        for (CompletableFuture<Void> r : reads) {
            completed(r);
        }

        for (int p : slow) {
            assertThat(stored(p)).as("piece %d", p).isEqualTo(bytesOf(p));
            assertThat(x.requests(p, true)).as("piece %d asked of x once", p).isEqualTo(1);
            int blocks = manifest.pieceLength(p) / WireLimits.BLOCK_LENGTH;
            for (int b = 0; b < blocks; b++) {
                assertThat(seed.blockRequests(p, b)).as("block %d of piece %d asked of the seed", b, p)
                        .isEqualTo(b < kept ? 0 : 1);
            }
        }
        assertThat(s.stats().snubbedPeers()).containsExactly(PeerDirectory.key(x.peer(false)));
        assertThat(meters.get("bootswarm.agent.fetch.moved").tag("image", manifest.name()).counter().count())
                .as("requests moved off x when the first timed out").isEqualTo(2);
        assertThat(s.stats().verificationFailures()).isZero();
    }

    /** Distinct pieces requested of {@code p} so far. */
    private static long distinctRequested(StandInPeer p) {
        return p.received().stream().filter(r -> !r.cancel()).map(StandInPeer.Received::piece).distinct().count();
    }
}
