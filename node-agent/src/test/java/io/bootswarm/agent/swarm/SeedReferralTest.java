package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.Referral;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import static io.bootswarm.agent.swarm.DemandCoalescingTest.demand;
import static io.bootswarm.agent.swarm.PieceFetcherTest.completed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Seed referrals (issue 13): a real seed (common's {@link PeerWireServer} with {@link PeerWireServer#referring}) and
 * real agents ({@link SwarmManager}s) over loopback, each agent told of the seed only, time on a
 * {@link ManualClock}. A demand miss on a piece the seed sent to another agent a moment ago is referred to that
 * agent ({@code bs_referral}); the agent dials it and fetches the piece from it, so the seed sends the piece once.
 * Assertions are on counts: the bytes the seed sent per piece, the referrals, the pieces each source delivered.
 */
class SeedReferralTest {

    @TempDir
    Path dir;

    final ManualClock clock = new ManualClock();
    final List<AutoCloseable> closing = new ArrayList<>();
    final byte[] image = SwarmExchangeTest.image(10, 31);
    final Manifest manifest;
    final Map<Integer, AtomicLong> seedSent = new ConcurrentHashMap<>();
    final int warm = 1;
    final int piece = 2;
    PeerWireServer seed;
    Peer seedPeer;
    int stores;

    SeedReferralTest() throws IOException {
        manifest = SwarmExchangeTest.manifest(image);
    }

    @BeforeEach
    void seed() throws IOException {
        seed = seed(RateLimiter.UNLIMITED);
        seedPeer = new Peer("127.0.0.1", seed.port(), true);
    }

    /** A seed of the image that refers, its upload limited to {@code upload}. */
    PeerWireServer seed(RateLimiter upload) throws IOException {
        PieceSet all = PieceSet.full(manifest.pieceCount());
        ServedSwarm swarm = new ServedSwarm() {
            @Override
            public int pieceCount() {
                return manifest.pieceCount();
            }

            @Override
            public int pieceLength(int p) {
                return manifest.pieceLength(p);
            }

            @Override
            public PieceSet available() {
                return all;
            }

            @Override
            public void readBlock(int p, int begin, byte[] dst, int length) {
                System.arraycopy(image, (int) manifest.pieceOffset(p) + begin, dst, 0, length);
                seedSent.computeIfAbsent(p, k -> new AtomicLong()).addAndGet(length);
            }
        };
        PeerWireServer server = new PeerWireServer(PeerWireServer.Settings.defaults(new InetSocketAddress(
                        InetAddress.getLoopbackAddress(), 0)).withUpload(16, upload),
                id -> id.equals(manifest.swarmId()) ? Optional.of(swarm) : Optional.empty(),
                "-SEED00-referraltest".getBytes(StandardCharsets.US_ASCII), PeerAccess.OPEN, clock)
                .referring(Duration.ofSeconds(60), 4).start();
        closing.add(server);
        return server;
    }

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    record Agent(SwarmManager manager, SwarmSession session, SimpleMeterRegistry meters, Peer peer) {

        double referrals(String what) {
            return meters.get("bootswarm.agent.referrals." + what).counter().count();
        }
    }

    /** An agent whose tracker names the seed and {@code others} only. */
    Agent agent(Peer... others) throws IOException {
        return agent(ReferralSettings.defaults(), others);
    }

    Agent agent(ReferralSettings referrals, Peer... others) throws IOException {
        return agentOf(seedPeer, referrals, others);
    }

    /** An agent whose tracker names {@code seed} and {@code others} only. */
    Agent agentOf(Peer seed, ReferralSettings referrals, Peer... others) throws IOException {
        PieceStore store = PieceStore.open(dir.resolve("agent-" + stores++), SwarmExchangeTest.PIECE,
                Duration.ofSeconds(1));
        SimpleMeterRegistry meters = new SimpleMeterRegistry();
        List<Peer> named = new ArrayList<>(Arrays.asList(others));
        named.add(seed);
        SwarmManager m = new SwarmManager(store, a -> new Announcer.Result(Duration.ofHours(1), named),
                DemandCoalescingTest.settings(0), new InetSocketAddress("127.0.0.1", 0), id -> Optional.empty(),
                PeerAccess.OPEN, meters, clock).withReferrals(referrals).start();
        closing.add(m);
        return new Agent(m, m.session(manifest), meters, new Peer("127.0.0.1", m.peerPort(), false));
    }

    long seedSent(int p) {
        AtomicLong n = seedSent.get(p);
        return n == null ? 0 : n.get();
    }

    byte[] stored(Agent a, int p) throws IOException {
        ByteBuffer got = ByteBuffer.allocate(manifest.pieceLength(p));
        a.manager().store().read(manifest.hash(p), 0, got);
        return got.array();
    }

    byte[] bytesOf(int p) {
        return Arrays.copyOfRange(image, (int) manifest.pieceOffset(p),
                (int) manifest.pieceOffset(p) + manifest.pieceLength(p));
    }

    @Test
    void anAgentMissingAPieceTheSeedSentToAnotherIsReferredToItAndTheSeedSendsItOnce() throws Exception {
        Agent a = agent();
        Agent b = agent();
        completed(demand(a.session(), piece));
        assertThat(seedSent(piece)).isEqualTo(manifest.pieceLength(piece));
        assertThat(b.session().readyPeers(true, piece)).as("B is not connected to A").doesNotContain(a.peer());

        completed(demand(b.session(), piece));

        assertThat(stored(b, piece)).as("B's copy verified and stored").isEqualTo(bytesOf(piece));
        assertThat(seedSent(piece)).as("the seed sent the piece once").isEqualTo(manifest.pieceLength(piece));
        assertThat(seed.referrals()).isEqualTo(1);
        assertThat(b.session().stats().piecesByPeer()).containsEntry(PeerDirectory.key(a.peer()), 1L);
        assertThat(b.session().stats().piecesFromSeed()).isZero();
        assertThat(b.referrals("received")).isEqualTo(1);
        assertThat(b.referrals("followed")).isEqualTo(1);
        assertThat(b.referrals("expired")).isZero();
    }

    /**
     * At its cap of referral connections an agent closes the oldest idle one to follow the next referral, rather than
     * not following it (and waiting in vain).
     */
    @Test
    void atTheCapOfReferralConnectionsTheOldestIdleOneMakesRoom() throws Exception {
        int third = 3;
        Agent a = agent();
        Agent c = agent();
        Agent b = agent(new ReferralSettings(1, null));
        completed(demand(a.session(), piece));
        completed(demand(c.session(), third));

        completed(demand(b.session(), piece));
        completed(demand(b.session(), third));

        assertThat(stored(b, third)).isEqualTo(bytesOf(third));
        assertThat(b.session().stats().piecesByPeer()).containsEntry(PeerDirectory.key(a.peer()), 1L)
                .containsEntry(PeerDirectory.key(c.peer()), 1L);
        assertThat(seedSent(piece)).isEqualTo(manifest.pieceLength(piece));
        assertThat(seedSent(third)).isEqualTo(manifest.pieceLength(third));
        assertThat(b.referrals("followed")).isEqualTo(2);
        assertThat(b.referrals("expired")).isZero();
    }

    /** The referred agent is gone: the fetch waits its bounded wait, then asks the seed again, which serves it. */
    @Test
    void whenNoReferredAgentShowsThePieceWithinTheWaitTheSeedServesTheSecondRequest() throws Exception {
        Agent a = agent();
        Agent b = agent();
        completed(demand(a.session(), piece));
        a.manager().close();

        var readB = demand(b.session(), piece);
        await().until(() -> b.session().coalescing() == 1);
        assertThat(seed.referrals()).isEqualTo(1);
        assertThat(readB).isNotDone();
        clock.advance(DemandCoalescingTest.COALESCE_WAIT);
        completed(readB);

        assertThat(stored(b, piece)).isEqualTo(bytesOf(piece));
        assertThat(seedSent(piece)).isEqualTo(2L * manifest.pieceLength(piece));
        assertThat(seed.referrals()).as("the second request on the connection is served").isEqualTo(1);
        assertThat(b.referrals("expired")).isEqualTo(1);
        assertThat(b.referrals("followed")).isZero();
    }

    /**
     * bin/fleet's quickstart: one agent, a seed that refers and uploads at 100 MiB/s, and the disk read a few minutes
     * after the fleet came up, every piece at once. The seed has no one to refer to, so it serves each piece, at once.
     * (Its upload limiter, idle for longer than {@code Long.MAX_VALUE} nanoseconds over its rate, overflowed into a
     * debt of gigabytes: every block waited ~26 s there, the agent's piece timeout moved the requests, and the seed's
     * late answers to those cancels cleared the pieces at the agent, whose reads then failed at their deadline.)
     */
    @Test
    void aLoneAgentReadsTheWholeImageFromASeedIdleForMinutes() throws Exception {
        PeerWireServer busy = seed(RateLimiter.perSecond(100L << 20, clock));
        Agent a = agentOf(new Peer("127.0.0.1", busy.port(), true), ReferralSettings.defaults());
        clock.advance(Duration.ofSeconds(150));

        List<java.util.concurrent.CompletableFuture<Void>> reads = new ArrayList<>();
        for (int p = 0; p < manifest.pieceCount(); p++) {
            reads.add(demand(a.session(), p));
        }
        for (var read : reads) {
            completed(read);
        }

        for (int p = 0; p < manifest.pieceCount(); p++) {
            if (!manifest.isZero(p)) {
                assertThat(stored(a, p)).as("piece %d", p).isEqualTo(bytesOf(p));
            }
        }
        assertThat(busy.referrals()).isZero();
        assertThat(a.session().stats().piecesFromSeed()).isEqualTo(a.session().stats().piecesFetched());
    }

    /** Only a seed can refer: a referral from a peer agent is ignored, and its named holder is not dialled. */
    @Test
    void aReferralFromAPeerThatIsNoSeedIsIgnored() throws Exception {
        StandInPeer named = new StandInPeer(manifest, image);
        closing.add(named);
        StandInPeer liar = new StandInPeer(manifest, image);
        closing.add(liar);
        liar.lack(piece);
        Agent b = agent(liar.peer(false));
        liar.serve(warm);
        completed(demand(b.session(), warm)); // connects B to the seed and to the liar
        await().until(liar::askedForReferrals);

        // on each connection of B's that asked: its demand one, and a prefetch one if B announced while fetching
        int told = liar.sendReferral(Referral.message(1, new Referral.Holders(piece,
                List.of(new InetSocketAddress(InetAddress.getLoopbackAddress(), named.port())))).payload());
        assertThat(told).isBetween(1, 2);
        await().until(() -> b.referrals("ignored") == told);
        long fromSeed = b.session().stats().piecesFromSeed();
        completed(demand(b.session(), piece));

        assertThat(stored(b, piece)).isEqualTo(bytesOf(piece));
        assertThat(b.session().stats().piecesFromSeed()).as("from the seed, at once").isEqualTo(fromSeed + 1);
        assertThat(b.session().coalescing()).isZero();
        assertThat(named.urgentConnections()).as("the named agent was not dialled").isZero();
        assertThat(b.referrals("received")).isZero();
    }
}
