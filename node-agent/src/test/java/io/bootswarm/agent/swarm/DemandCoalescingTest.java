package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.wire.Fetching;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.WireLimits;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Demand coalescing across the swarm (issue 13): two real agents (each a {@link SwarmManager}: its session and its
 * peer wire server) over loopback, a seed played by hand ({@link StandInPeer}: it sends a piece only when told),
 * time on a {@link ManualClock}. An agent tells its peers what it is fetching ({@code bs_fetching}); a demand miss
 * on a piece a connected agent is fetching waits for that agent (at most {@code coalesceWait}) instead of asking
 * the seed. Assertions are on counts: the requests the seed got and the blocks it sent, the {@code bs_fetching}
 * messages, the pieces each source delivered.
 */
class DemandCoalescingTest {

    static final Duration PIECE_TIMEOUT = Duration.ofSeconds(20);
    static final Duration COALESCE_WAIT = Duration.ofSeconds(5);

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    final List<AutoCloseable> closing = new ArrayList<>();
    final byte[] image = SwarmExchangeTest.image(10, 31);
    final Manifest manifest;
    /** Pieces 0 and 5 are all zeros (every agent holds them); these are not. */
    final int warm = 1;
    final int piece = 2;
    final int other = 3;
    StandInPeer seed;
    int stores;

    DemandCoalescingTest() throws IOException {
        manifest = SwarmExchangeTest.manifest(image);
    }

    @BeforeEach
    void seed() throws IOException {
        seed = new StandInPeer(manifest, image);
        closing.add(seed);
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    record Agent(SwarmManager manager, SwarmSession session, SimpleMeterRegistry meters, Peer peer) {

        double coalesced() {
            return meters.get("bootswarm.agent.fetch.coalesced").counter().count();
        }

        double yielded() {
            return meters.get("bootswarm.agent.fetch.yielded").counter().count();
        }

        /** {@code bs_fetching} messages this agent's peer wire server sent. */
        double fetchingMessages() {
            return meters.get("bootswarm.agent.peer.fetching.messages").functionCounter().count();
        }
    }

    static SwarmSettings settings(int maxAttempts) {
        return new SwarmSettings(0, null, null, PIECE_TIMEOUT, maxAttempts, null, 0, null, null, 0, 1, null, null)
                .withCoalesceWait(COALESCE_WAIT);
    }

    List<Agent> agents(int n, SwarmSettings settings) throws IOException {
        return agents(n, settings, List.of());
    }

    /** {@code n} agents of the image; the stand-in tracker names the seed, {@code others} and the other agents. */
    List<Agent> agents(int n, SwarmSettings settings, List<Peer> others) throws IOException {
        List<Peer> named = new CopyOnWriteArrayList<>(others);
        named.add(seed.peer(true));
        List<SwarmManager> managers = new ArrayList<>();
        List<SimpleMeterRegistry> registries = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PieceStore store = PieceStore.open(dir.resolve("agent-" + stores++), SwarmExchangeTest.PIECE,
                    Duration.ofSeconds(1));
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            SwarmManager m = new SwarmManager(store, a -> new Announcer.Result(Duration.ofHours(1),
                    named.stream().filter(p -> p.port() != a.port()).toList()), settings,
                    new InetSocketAddress("127.0.0.1", 0), id -> Optional.empty(), PeerAccess.OPEN, meters,
                    clock).start();
            closing.add(m);
            managers.add(m);
            registries.add(meters);
            named.add(new Peer("127.0.0.1", m.peerPort(), false));
        }
        List<Agent> agents = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            SwarmManager m = managers.get(i);
            agents.add(new Agent(m, m.session(manifest), registries.get(i),
                    new Peer("127.0.0.1", m.peerPort(), false)));
        }
        return agents;
    }

    static CompletableFuture<Void> demand(SwarmSession s, int piece) {
        return CompletableFuture.runAsync(() -> {
            try {
                s.require(piece);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    int blocks(int piece) {
        return (manifest.pieceLength(piece) + WireLimits.BLOCK_LENGTH - 1) / WireLimits.BLOCK_LENGTH;
    }

    byte[] stored(Agent a, int piece) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(manifest.pieceLength(piece));
        a.manager().store().read(manifest.hash(piece), 0, got);
        return got.array();
    }

    byte[] bytesOf(int piece) {
        return Arrays.copyOfRange(image, (int) manifest.pieceOffset(piece),
                (int) manifest.pieceOffset(piece) + manifest.pieceLength(piece));
    }

    /**
     * B demand-reads a piece from the seed, which connects it to the seed and to A (an urgent connection, open
     * and unchoked once A's zero piece shows as ready on it).
     */
    void connectBToA(Agent a, Agent b) throws Exception {
        connect(b, a.peer());
    }

    void connect(Agent b, Peer a) throws Exception {
        seed.serve(warm);
        PieceFetcherTest.completed(demand(b.session(), warm));
        await().until(() -> b.session().readyPeers(true, 0).contains(a));
    }

    @Test
    void whatAnAgentIsFetchingReachesItsPeersAndEndsWithItsHaveOrItsFailure() throws Exception {
        List<Agent> agents = agents(2, settings(1));
        Agent a = agents.get(0);
        Agent b = agents.get(1);
        CompletableFuture<Void> readA = demand(a.session(), piece);
        await().until(() -> seed.requests(piece, true) == 1);

        // B connects after A's request went out: A tells it as it admits B
        connectBToA(a, b);
        await().until(() -> b.session().fetchingPeers(piece).equals(List.of(a.peer())));
        assertThat(b.session().fetchingPeers(other)).isEmpty();
        // one message per connection of B's that asked: its demand connection, and a prefetch connection when B's
        // first announce came while it was fetching (a race of the test's, not of the agent's)
        double told = a.fetchingMessages();
        assertThat(told).isBetween(1.0, 2.0);

        seed.serve(piece);
        PieceFetcherTest.completed(readA);
        await().until(() -> b.session().readyPeers(true, piece).contains(a.peer()));
        assertThat(b.session().fetchingPeers(piece)).as("A's have ended it").isEmpty();
        assertThat(a.fetchingMessages()).as("the have says it: no bs_fetching").isEqualTo(told);

        // a prefetch with one attempt, which the seed leaves unanswered for a piece timeout, fails
        CompletableFuture<Void> prefetch = a.session().prefetch(other);
        await().until(() -> seed.requests(other, false) == 1);
        await().until(() -> b.session().fetchingPeers(other).equals(List.of(a.peer())));
        double started = a.fetchingMessages();
        assertThat(started).isGreaterThan(told);
        clock.advance(PIECE_TIMEOUT.plusMillis(1));
        await().until(prefetch::isDone);
        assertThat(prefetch).isCompletedExceptionally();
        await().until(() -> b.session().fetchingPeers(other).isEmpty());
        assertThat(a.fetchingMessages()).as("the failure is told").isGreaterThan(started);
        assertThat(b.session().readyPeers(true, other)).doesNotContain(a.peer());
    }

    @Test
    void aDemandMissOnAPieceAPeerIsFetchingWaitsForThatPeerAndTheSeedSendsItOnce() throws Exception {
        List<Agent> agents = agents(2, settings(0));
        Agent a = agents.get(0);
        Agent b = agents.get(1);
        connectBToA(a, b);
        CompletableFuture<Void> readA = demand(a.session(), piece);
        await().until(() -> seed.requests(piece, true) == 1);
        await().until(() -> b.session().fetchingPeers(piece).equals(List.of(a.peer())));

        CompletableFuture<Void> readB = demand(b.session(), piece);
        await().until(() -> b.session().coalescing() == 1);
        assertThat(seed.requests(piece, true)).as("B did not ask the seed").isEqualTo(1);

        seed.serve(piece);
        PieceFetcherTest.completed(readA);
        PieceFetcherTest.completed(readB);

        assertThat(seed.requests(piece, true) + seed.requests(piece, false)).as("the seed was asked by A only: %s", seed.received())
                .isEqualTo(1);
        assertThat(seed.blocksSent(piece)).as("the seed sent one copy").isEqualTo(blocks(piece));
        assertThat(stored(b, piece)).isEqualTo(bytesOf(piece));
        SwarmSession.Stats stats = b.session().stats();
        assertThat(stats.piecesByPeer()).containsEntry(PeerDirectory.key(a.peer()), 1L);
        assertThat(stats.piecesFromSeed()).as("the warm-up piece only").isEqualTo(1);
        assertThat(b.coalesced()).isEqualTo(1);
        assertThat(b.session().coalescing()).isZero();
    }

    @Test
    void theWaitIsBoundedWhenThePeerDoesNotGetThePieceTheDemandGoesToTheSeedAfterTheCoalesceWaitAndTheNextMissDoesNotWait()
            throws Exception {
        List<Agent> agents = agents(2, settings(0));
        Agent a = agents.get(0);
        Agent b = agents.get(1);
        connectBToA(a, b);
        CompletableFuture<Void> readA = demand(a.session(), piece);
        await().until(() -> seed.requests(piece, true) == 1);
        await().until(() -> b.session().fetchingPeers(piece).equals(List.of(a.peer())));
        CompletableFuture<Void> readB = demand(b.session(), piece);
        await().until(() -> b.session().coalescing() == 1);
        assertThat(seed.requests(piece, true)).isEqualTo(1);

        clock.advance(COALESCE_WAIT);

        await().until(() -> seed.requests(piece, true) == 2);
        assertThat(b.session().coalescing()).isZero();
        assertThat(readB).isNotDone();
        // B's request is now advertised to A: A, whose request got no block yet, yields if B's peer id is lower
        boolean aYields = Arrays.compareUnsigned(b.manager().peerId(), a.manager().peerId()) < 0;
        if (aYields) {
            await().until(() -> seed.cancels(piece, true) == 1 && seed.outstandingBlocks(piece) == blocks(piece));
        }
        seed.serve(piece);
        PieceFetcherTest.completed(readA);
        PieceFetcherTest.completed(readB);
        assertThat(stored(b, piece)).isEqualTo(bytesOf(piece));
        assertThat(b.session().stats().piecesFromSeed()).isEqualTo(2);
        assertThat(b.coalesced()).isZero();
        assertThat(b.yielded()).isZero();
        assertThat(a.yielded()).isEqualTo(aYields ? 1 : 0);
        assertThat(seed.blocksSent(piece)).as("B's copy, and A's unless A yielded")
                .isEqualTo((aYields ? 1 : 2) * blocks(piece));

        // B waited for A in vain: its next miss on a piece A is fetching goes to the seed at once
        CompletableFuture<Void> readA2 = demand(a.session(), other);
        await().until(() -> seed.requests(other, true) == 1
                && b.session().fetchingPeers(other).equals(List.of(a.peer())));
        CompletableFuture<Void> readB2 = demand(b.session(), other);
        await().until(() -> seed.requests(other, true) == 2);
        assertThat(b.session().coalescing()).isZero();
        seed.serve(other);
        PieceFetcherTest.completed(readA2);
        PieceFetcherTest.completed(readB2);
        assertThat(b.coalesced()).isZero();
    }

    /**
     * Two hosts miss a piece at once: both ask the seed before either hears of the other. The one whose peer id
     * ranks after the other's withdraws its request (no block of it came yet) and waits for the other's copy.
     * The other is played by a stand-in agent with a peer id that ranks first.
     */
    @Test
    void ofTwoHostsMissingAPieceAtOnceTheLaterRankedWithdrawsItsSeedRequestAndWaitsForTheOther() throws Exception {
        StandInPeer first = new StandInPeer(manifest, image);
        closing.add(first);
        first.peerId("-AAAAAA-0123456789ab".getBytes()); // before every "-BS0100-..." agent
        first.lack(piece, warm);
        Peer firstPeer = first.peer(false);
        Agent b = agents(1, settings(0), List.of(firstPeer)).getFirst();
        connect(b, firstPeer);
        await().until(first::askedForFetching);

        CompletableFuture<Void> readB = demand(b.session(), piece);
        await().until(() -> seed.requests(piece, true) == 1 && b.session().served().fetching().contains(piece));
        first.sendFetching(Fetching.message(PeerConnection.FETCHING_ID, List.of(new Fetching.Change(piece, true)))
                .payload());

        await().until(() -> seed.cancels(piece, true) == 1 && seed.outstandingBlocks(piece) == 0);
        await().until(() -> b.session().coalescing() == 1);
        assertThat(b.yielded()).isEqualTo(1);
        first.serve(piece);
        first.have(piece);
        PieceFetcherTest.completed(readB);

        assertThat(stored(b, piece)).isEqualTo(bytesOf(piece));
        assertThat(first.requests(piece, true)).isEqualTo(1);
        assertThat(b.coalesced()).isEqualTo(1);
        seed.serve(piece);
        assertThat(seed.blocksSent(piece)).as("nothing left to send: B withdrew its request").isZero();
        assertThat(b.session().stats().piecesByPeer()).containsEntry(PeerDirectory.key(firstPeer), 1L);
    }

    /**
     * A relay: C is connected to B only, B to an agent that is fetching the piece and ranks first. B's demand waits
     * for that agent and, waiting for a peer that ranks before it, is advertised itself; so C's demand waits for
     * B's copy instead of asking the seed (which C would, seeing no connected agent with a request out). The
     * piece leaves the first agent once and the seed never.
     */
    @Test
    void aDemandWaitingForAnAgentThatRanksFirstIsAdvertisedSoThatAPeerOfOursWaitsForOurCopyNotTheSeed()
            throws Exception {
        StandInPeer first = new StandInPeer(manifest, image);
        closing.add(first);
        first.peerId("-AAAAAA-0123456789ab".getBytes()); // before every "-BS0100-..." agent
        first.lack(piece, warm);
        Peer firstPeer = first.peer(false);
        Agent b = agents(1, settings(0), List.of(firstPeer)).getFirst();
        connect(b, firstPeer);
        await().until(first::askedForFetching);
        Agent c = agents(1, settings(0), List.of(b.peer())).getFirst();
        connect(c, b.peer());
        assertThat(c.session().readyPeers(true, 0)).doesNotContain(firstPeer);

        first.sendFetching(Fetching.message(PeerConnection.FETCHING_ID, List.of(new Fetching.Change(piece, true)))
                .payload());
        await().until(() -> b.session().fetchingPeers(piece).equals(List.of(firstPeer)));
        CompletableFuture<Void> readB = demand(b.session(), piece);
        await().until(() -> b.session().coalescing() == 1);
        await().until(() -> c.session().fetchingPeers(piece).equals(List.of(b.peer())));

        long fromBBefore = c.session().stats().piecesByPeer().getOrDefault(PeerDirectory.key(b.peer()), 0L);
        CompletableFuture<Void> readC = demand(c.session(), piece);
        await().until(() -> c.session().coalescing() == 1);
        assertThat(seed.requests(piece, true) + seed.requests(piece, false)).as("nobody asked the seed").isZero();

        first.serve(piece);
        first.have(piece);
        PieceFetcherTest.completed(readB);
        PieceFetcherTest.completed(readC);

        assertThat(stored(c, piece)).isEqualTo(bytesOf(piece));
        assertThat(first.requests(piece, true)).as("B's request only").isEqualTo(1);
        assertThat(seed.requests(piece, true) + seed.requests(piece, false)).isZero();
        assertThat(seed.blocksSent(piece)).isZero();
        assertThat(c.session().stats().piecesByPeer()).as("the warm-up piece may have come from B too")
                .containsEntry(PeerDirectory.key(b.peer()), fromBBefore + 1);
        assertThat(b.coalesced()).isEqualTo(1);
        assertThat(c.coalesced()).isEqualTo(1);
        await().until(() -> c.session().fetchingPeers(piece).isEmpty());
    }

    /**
     * Only a request to a seed is advertised: A fetches one piece from an agent (a stand-in that holds it) and another
     * from the seed; B, connected to A, hears of the second only. Messages on a connection keep their order, so
     * once B knows of the second it would know of the first had A advertised it.
     */
    @Test
    void aRequestToAnAgentIsNotAdvertisedOnlyOneToASeed() throws Exception {
        StandInPeer holder = new StandInPeer(manifest, image);
        closing.add(holder);
        holder.lack(warm, other);
        Peer holderPeer = holder.peer(false);
        List<Agent> agents = agents(2, settings(0), List.of(holderPeer));
        Agent a = agents.get(0);
        Agent b = agents.get(1);
        connect(a, holderPeer);
        connect(b, a.peer());

        CompletableFuture<Void> fromAgent = demand(a.session(), piece);
        await().until(() -> holder.requests(piece, true) == 1);
        CompletableFuture<Void> fromSeed = demand(a.session(), other);
        await().until(() -> seed.requests(other, true) == 1);
        await().until(() -> b.session().fetchingPeers(other).equals(List.of(a.peer())));
        assertThat(b.session().fetchingPeers(piece)).isEmpty();
        assertThat(a.fetchingMessages()).isEqualTo(1);

        holder.serve(piece);
        seed.serve(other);
        PieceFetcherTest.completed(fromAgent);
        PieceFetcherTest.completed(fromSeed);
        assertThat(stored(a, piece)).isEqualTo(bytesOf(piece));
        assertThat(seed.requests(piece, true) + seed.requests(piece, false)).isZero();
        assertThat(a.fetchingMessages()).as("the have ends the seed request's entry").isEqualTo(1);
    }
}
