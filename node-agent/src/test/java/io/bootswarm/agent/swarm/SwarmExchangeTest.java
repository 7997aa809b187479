package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.CacheQuota;
import io.bootswarm.agent.disk.PieceClaim;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.picker.SeedPartition;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.ManifestSignature;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.PieceSplitter;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.peertoken.PeerTokenIssuer;
import io.bootswarm.common.peertoken.PeerTokenKeyring;
import io.bootswarm.common.peertoken.PeerTokenVerifier;
import io.bootswarm.common.peertoken.TokenAccess;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.PieceUnavailableException;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.common.wire.WireLimits;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.util.unit.DataSize;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Agents exchanging pieces with each other over real loopback sockets, with a seed made of the
 * common peer wire server over the image in memory, and the tracker's answer given by a static
 * peer list. The end-to-end version with the real seed and tracker is in the fleet module. Assertions
 * are on pieces, bytes and counts, awaited where they depend on the sockets; what timeouts and waits do
 * on their own is tested against a hand-moved clock in {@link PieceFetcherTest} and {@link PeerDirectoryTest}.
 */
class SwarmExchangeTest {

    static final int PIECE = 256 * 1024;

    @TempDir
    Path dir;

    final List<AutoCloseable> closing = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (AutoCloseable c : closing.reversed()) {
            c.close();
        }
    }

    static byte[] image(int pieces, long seed) {
        byte[] b = new byte[pieces * PIECE];
        new Random(seed).nextBytes(b);
        for (int p = 0; p < pieces; p += 5) {
            Arrays.fill(b, p * PIECE, (p + 1) * PIECE, (byte) 0);
        }
        return b;
    }

    static Manifest manifest(byte[] image) throws IOException {
        return new PieceSplitter(PIECE, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                .manifest(UUID.randomUUID(), "swarm-test");
    }

    PeerWireServer seed(byte[] image, Manifest m, long rate) throws IOException {
        return seed(Map.of(m, image), rate);
    }

    /** A seed serving several images from memory, its upload capped at {@code rate}, counting bytes per swarm. */
    final Map<SwarmId, AtomicLong> seedBytes = new ConcurrentHashMap<>();

    PeerWireServer seed(Map<Manifest, byte[]> images, long rate) throws IOException {
        Map<SwarmId, ServedSwarm> swarms = new HashMap<>();
        images.forEach((m, image) -> swarms.put(m.swarmId(), new ServedSwarm() {
            final PieceSet all = PieceSet.full(m.pieceCount());

            @Override
            public int pieceCount() {
                return m.pieceCount();
            }

            @Override
            public int pieceLength(int piece) {
                return m.pieceLength(piece);
            }

            @Override
            public PieceSet available() {
                return all;
            }

            @Override
            public void readBlock(int piece, int begin, byte[] dst, int length) {
                System.arraycopy(image, piece * PIECE + begin, dst, 0, length);
            }

            @Override
            public void uploaded(int bytes) {
                seedBytes.computeIfAbsent(m.swarmId(), k -> new AtomicLong()).addAndGet(bytes);
            }
        }));
        PeerWireServer s = new PeerWireServer(PeerWireServer.Settings.defaults(new InetSocketAddress("127.0.0.1", 0))
                .withUpload(64, RateLimiter.perSecond(rate)), id -> Optional.ofNullable(swarms.get(id)),
                "-SEED00-swarmtest123".getBytes(), access()).start();
        closing.add(s);
        return s;
    }

    record Agent(SwarmManager manager, SwarmSession session) {
    }

    /** The stand-in tracker's peer-token key: the fake announcer signs tokens with it, every peer checks them. */
    final KeyPair trackerKey = ManifestSignature.generateKeyPair();
    final PeerTokenIssuer tokens = new PeerTokenIssuer(trackerKey.getPrivate(), Clock.systemUTC(),
            Duration.ofMinutes(10));
    /** Whether the fake tracker hands out peer tokens (on by default, as the real one does). */
    boolean issueTokens = true;

    PeerAccess access() {
        return new TokenAccess(new PeerTokenVerifier(PeerTokenKeyring.pinned(List.of(trackerKey.getPublic())),
                Clock.systemUTC()), new SimpleMeterRegistry());
    }

    /** How agents resolve swarm ids of images they do not run (cross-image serving); none by default. */
    Function<SwarmId, Optional<Manifest>> resolver = id -> Optional.empty();

    /** The agents' cache quota (evicted only when a test calls {@link PieceStore#evict()}: stores not started). */
    CacheQuota quota = CacheQuota.unlimited();

    /** Every agent's meters. */
    final SimpleMeterRegistry meters = new SimpleMeterRegistry();

    /** The agents' cap on connected agents (0: the default). */
    int maxConnections = 0;

    List<Agent> agents(int n, Manifest m, PeerWireServer seed, long rate) throws IOException {
        return agents(n, m, seed, rate, List.of());
    }

    /**
     * {@code n} agents in {@code m}'s swarm; the tracker also names {@code others} (e.g. agents of another
     * image), and gives each agent the peer ids of the swarm's other agents that have announced.
     */
    List<Agent> agents(int n, Manifest m, PeerWireServer seed, long rate, List<Peer> others) throws IOException {
        List<SwarmManager> managers = new ArrayList<>();
        Map<Integer, String> ids = new ConcurrentHashMap<>();
        List<Peer> peers = new ArrayList<>(others);
        peers.add(new Peer("127.0.0.1", seed.port(), true));
        SwarmSettings settings = new SwarmSettings(maxConnections, null, null, null, 0, Duration.ofMillis(200), 4,
                DataSize.ofBytes(rate), null, 4, 1, null, null);
        for (int i = 0; i < n; i++) {
            int self = i;
            PieceStore store = PieceStore.open(dir.resolve("agent-" + UUID.randomUUID()), PIECE,
                    Duration.ofSeconds(1), quota, InstantSource.system());
            SwarmManager mgr = new SwarmManager(store, a -> {
                ids.put(self, HexFormat.of().formatHex(a.peerId()));
                return new Announcer.Result(Duration.ofSeconds(1),
                        peers.stream().filter(p -> p.seed() || p.port() != managers.get(self).peerPort()).toList(),
                        ids.entrySet().stream().filter(e -> e.getKey() != self).map(Map.Entry::getValue).toList(),
                        issueTokens ? tokens.issue(a.swarm(), a.peerId()).encode() : null);
            }, settings, new InetSocketAddress("127.0.0.1", 0), resolver, access(), meters,
                    MonotonicClock.system()).start();
            managers.add(mgr);
            peers.add(new Peer("127.0.0.1", mgr.peerPort(), false));
            closing.add(mgr);
        }
        return managers.stream().map(mgr -> new Agent(mgr, mgr.session(m))).toList();
    }

    /** Evicts {@code piece} from {@code a}'s store: the only piece not kept by a claim that cannot refetch. */
    static void evictOnly(Agent a, Manifest m, int piece) throws IOException {
        List<PieceHash> others = new ArrayList<>();
        for (int i = 0; i < m.pieceCount(); i++) {
            if (i != piece && !m.isZero(i)) {
                others.add(m.hash(i));
            }
        }
        try (PieceClaim keep = a.manager().store().claim("test keeps the rest", others, () -> false)) {
            assertThat(a.manager().store().evict()).isEqualTo(1);
        }
        assertThat(a.manager().store().contains(m.hash(piece))).isFalse();
    }

    /**
     * Issue 12: A's cache evicts a piece B saw in A's bitfield; A tells B (BEP 54 {@code lt_donthave}), so B stops
     * counting A as a source of it, and B's read of the piece is served by the seed, nobody banned or snubbed.
     */
    @Test
    void anEvictedPieceIsWithdrawnWithLtDontHaveAndTheReadGoesToAnotherSource() throws Exception {
        byte[] image = image(10, 21);
        Manifest m = manifest(image);
        PeerWireServer seed = seed(image, m, 64L << 20);
        quota = CacheQuota.of(PIECE, 0, Duration.ZERO);
        List<Agent> agents = agents(2, m, seed, 64L << 20);
        Agent a = agents.get(0);
        Agent b = agents.get(1);
        int piece = 3;
        for (int p = 0; p < m.pieceCount(); p++) {
            if (!m.isZero(p)) {
                a.session().require(p);
            }
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            b.session().connectForPrefetch();
            return b.session().holders(piece) == 1;
        });

        evictOnly(a, m, piece);

        await().atMost(Duration.ofSeconds(10)).until(() -> b.session().holders(piece) == 0);
        assertThat(a.session().have(piece)).isFalse();
        assertThat(a.manager().served()).singleElement()
                .satisfies(sv -> assertThat(sv.holds().contains(piece)).as("what the reports say A holds").isFalse());
        assertThat(b.session().holders(piece + 1)).as("other pieces still counted").isEqualTo(1);

        b.session().require(piece);

        ByteBuffer got = ByteBuffer.allocate(PIECE);
        b.manager().store().read(m.hash(piece), 0, got);
        assertThat(got.array()).isEqualTo(Arrays.copyOfRange(image, piece * PIECE, (piece + 1) * PIECE));
        SwarmSession.Stats stats = b.session().stats();
        assertThat(stats.piecesFromSeed()).isEqualTo(1);
        assertThat(stats.bannedPeers()).isEmpty();
        assertThat(stats.snubbedPeers()).isEmpty();
    }

    /**
     * A source that still advertises a piece its cache evicted rejects the request (BEP 6): the asker fetches the
     * piece from another source at once, without a piece timeout, and neither snubs nor bans the one that said no.
     */
    @Test
    void aRejectedRequestIsAskedOfAnotherSourceWithoutSnubbingOrBanning() throws Exception {
        byte[] image = image(10, 22);
        Manifest m = manifest(image);
        PeerWireServer seed = seed(image, m, 64L << 20);
        int piece = 4;
        StandInPeer evicting = new StandInPeer(m, image);
        closing.add(evicting);
        evicting.reject(piece);
        Agent b = agents(1, m, seed, 64L << 20, List.of(evicting.peer(false))).getFirst();
        Peer standIn = evicting.peer(false);
        await().atMost(Duration.ofSeconds(20)).until(() -> {
            b.session().connectForPrefetch();
            return b.session().readyPeers(false, piece).contains(standIn)
                    && b.session().readyPeers(false, piece).size() == 2;
        });

        b.session().prefetch(piece).get(20, TimeUnit.SECONDS);

        assertThat(evicting.requests(piece, false)).as("the stand-in was asked first, once").isEqualTo(1);
        assertThat(evicting.rejected()).isPositive();
        assertThat(b.session().holders(piece)).as("the stand-in no longer counted as a source").isZero();
        SwarmSession.Stats stats = b.session().stats();
        assertThat(stats.piecesFromSeed()).isEqualTo(1);
        assertThat(stats.snubbedPeers()).isEmpty();
        assertThat(stats.bannedPeers()).isEmpty();
        assertThat(meters.get("bootswarm.agent.fetch.unavailable").counter().count()).isEqualTo(1);
        ByteBuffer got = ByteBuffer.allocate(PIECE);
        b.manager().store().read(m.hash(piece), 0, got);
        assertThat(got.array()).isEqualTo(Arrays.copyOfRange(image, piece * PIECE, (piece + 1) * PIECE));
    }

    /**
     * A request that reaches an agent after its cache evicted the piece (the {@code lt_donthave} still on its
     * way) is rejected (BEP 6) on a connection that stays open, and the next request on it is served.
     */
    @Test
    void aRequestForAnEvictedPieceIsRejectedAndTheConnectionStays() throws Exception {
        byte[] image = image(10, 23);
        Manifest m = manifest(image);
        PeerWireServer seed = seed(image, m, 64L << 20);
        quota = CacheQuota.of(PIECE, 0, Duration.ZERO);
        Agent a = agents(1, m, seed, 64L << 20).getFirst();
        for (int p = 0; p < m.pieceCount(); p++) {
            if (!m.isZero(p)) {
                a.session().require(p);
            }
        }
        int piece = 6;
        byte[] peerId = "-BS0100-evictiontest".getBytes();
        InstantSource clock = MonotonicClock.system();
        PeerConnection c = PeerConnection.open(new Peer("127.0.0.1", a.manager().peerPort(), false), m.swarmId(),
                peerId, 0, m.pieceCount(), Duration.ofSeconds(5), () -> {
                }, true, RateLimiter.UNLIMITED, tokens.issue(m.swarmId(), peerId).encode(), 64, clock);
        closing.add(c);
        await().atMost(Duration.ofSeconds(10)).until(() -> !c.isChoked() && c.has(piece));
        assertThat(c.isFast()).isTrue();

        evictOnly(a, m, piece);
        CompletableFuture<byte[]> asked = c.requestPiece(piece, m.pieceLength(piece));

        assertThatThrownBy(asked::join).hasCauseInstanceOf(PieceUnavailableException.class);
        assertThat(c.isOpen()).isTrue();
        assertThat(c.has(piece)).isFalse();
        int other = 7;
        assertThat(c.fetch(other, m.pieceLength(other), Duration.ofSeconds(10), clock.instant().plusSeconds(20)))
                .isEqualTo(Arrays.copyOfRange(image, other * PIECE, (other + 1) * PIECE));
        assertThat(meters.get("bootswarm.agent.peer.requests.rejected").functionCounter().count())
                .as("each block request of the piece rejected").isEqualTo(PIECE / WireLimits.BLOCK_LENGTH);
    }

    /**
     * Issue 12: an agent with no source to fetch an evicted piece from again keeps the pieces its live disks may
     * read, even over its quota, and says so ({@code bootswarm.agent.swarm.refetchable} 0); with the seed
     * connected the same pieces may go.
     */
    @Test
    void anIsolatedAgentKeepsThePiecesALiveDiskNeedsOverItsQuota() throws Exception {
        byte[] image = image(10, 24);
        Manifest m = manifest(image);
        PeerWireServer seed = seed(image, m, 64L << 20);
        quota = CacheQuota.of(2L * PIECE, 0, Duration.ZERO);
        Agent a = agents(1, m, seed, 64L << 20).getFirst();
        List<PieceHash> needs = new ArrayList<>();
        for (int p = 0; p < m.pieceCount(); p++) {
            if (!m.isZero(p)) {
                a.session().require(p);
                needs.add(m.hash(p));
            }
        }
        PieceStore store = a.manager().store();
        PieceClaim disk = store.claim("live disk", needs, a.session()::refetchable);
        closing.add(disk);
        assertThat(a.session().refetchable()).as("the seed is connected").isTrue();

        seed.close();
        await().atMost(Duration.ofSeconds(10)).until(() -> !a.session().refetchable());

        assertThat(store.evict()).isZero();
        assertThat(needs).allSatisfy(h -> assertThat(store.contains(h)).isTrue());
        assertThat(meters.get("bootswarm.agent.swarm.refetchable").gauge().value()).isZero();
        assertThat(store.stats().bytes()).isGreaterThan(store.quota().maxBytes());
    }

    /**
     * A seed closes connections idle for its idle timeout, so an agent whose disks have what they read has none
     * open: asked whether its pieces could be fetched again, the session dials the seed again, and says yes once
     * it is connected (rather than keeping every claimed piece over the quota for good).
     */
    @Test
    void aSessionWhoseSeedConnectionsWereClosedDialsTheSeedAgainAndIsRefetchableOnceConnected() throws Exception {
        byte[] image = image(10, 25);
        Manifest m = manifest(image);
        PeerWireServer seed = seed(image, m, 64L << 20);
        Agent a = agents(1, m, seed, 64L << 20).getFirst();
        a.session().require(1);
        assertThat(a.session().refetchable()).isTrue();

        seed.disconnect(m.swarmId()); // as the seed's idle sweep does
        await().atMost(Duration.ofSeconds(10)).until(() -> seed.openConnections() == 0);

        await().atMost(Duration.ofSeconds(10)).until(() -> a.session().refetchable());
        assertThat(seed.openConnections()).isPositive();
    }

    @Test
    void agentsFillingRarestFirstGetMostPiecesFromEachOtherNotFromTheSeed() throws Exception {
        byte[] image = image(96, 1);
        Manifest m = manifest(image);
        long rate = 8L << 20;
        PeerWireServer seed = seed(image, m, rate);
        List<Agent> agents = agents(4, m, seed, rate);
        for (Agent a : agents) {
            closing.add(new Prefetcher(a.session(), new int[0], 1, true, 4, "fill").start());
        }
        awaitComplete(agents);
        long nonZero = m.nonZeroBytes();
        for (Agent a : agents) {
            SwarmSession.Stats s = a.session().stats();
            assertThat(s.piecesPresent()).isEqualTo(s.piecesTotal());
            for (int piece = 0; piece < m.pieceCount(); piece++) {
                if (!m.isZero(piece)) {
                    ByteBuffer b = ByteBuffer.allocate(m.pieceLength(piece));
                    a.manager().store().read(m.hash(piece), 0, b);
                    assertThat(Arrays.equals(b.array(), 0, PIECE, image, piece * PIECE, (piece + 1) * PIECE)).isTrue();
                }
            }
        }
        double seedRatio = (double) seed.bytesServed() / nonZero;
        long fromPeers = agents.stream().mapToLong(a -> a.session().stats().piecesFetched()
                - a.session().stats().piecesFromSeed()).sum();
        System.out.printf("4 agents, fill: seed uploaded %.2f x the non-zero bytes, %d pieces from peers%n",
                seedRatio, fromPeers);
        assertThat(seedRatio).isLessThan(1.5);
        assertThat(fromPeers).isPositive();
    }

    /** Demand-reads {@code count} random non-zero pieces one after another; returns them. */
    static List<Integer> demandReads(SwarmSession session, Manifest m, int count, long seed) throws IOException {
        Random r = new Random(seed);
        List<Integer> read = new ArrayList<>();
        while (read.size() < count) {
            int piece = r.nextInt(m.pieceCount());
            if (m.isZero(piece) || session.have(piece) || session.inFlight(piece)) {
                continue;
            }
            session.require(piece);
            read.add(piece);
        }
        return read;
    }

    @Test
    void withoutPeerTokensAgentsGetNothingFromTheSeedOrEachOther() throws Exception {
        byte[] image = image(16, 9);
        Manifest m = manifest(image);
        PeerWireServer seed = seed(image, m, 16L << 20);
        issueTokens = false;
        List<Agent> agents = agents(2, m, seed, 16L << 20);
        for (Agent a : agents) {
            closing.add(new Prefetcher(a.session(), new int[0], 1, true, 4, "fill").start());
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> seed.refusedPeers() >= 2
                && agents.stream().allMatch(a -> a.manager().refusedPeers() >= 1));
        assertThat(seed.refusedPeers()).as("the seed refused both agents").isGreaterThanOrEqualTo(2);
        assertThat(agents).allSatisfy(a -> assertThat(a.manager().refusedPeers()).isPositive());
        assertThat(seed.blocksServed()).isZero();
        assertThat(seedBytes.get(m.swarmId())).isNull();
        assertThat(agents).allSatisfy(a -> {
            assertThat(a.manager().bytesUploaded()).isZero();
            assertThat(a.session().stats().piecesFetched()).isZero();
        });
    }

    @Test
    void demandReadsUnderPrefetchTrafficAllCompleteWithVerifiedBytes() throws Exception {
        byte[] image = image(160, 3);
        Manifest m = manifest(image);
        long rate = 8L << 20;
        PeerWireServer seed = seed(image, m, rate);
        List<Agent> agents = agents(2, m, seed, rate);
        SwarmSession busy = agents.get(1).session();
        closing.add(new Prefetcher(busy, new int[0], 1, true, 8, "busy").start());
        await().atMost(Duration.ofSeconds(30)).until(() -> busy.stats().piecesFetched() > 0); // prefetch under way

        List<Integer> read = demandReads(busy, m, 20, 2);

        for (int p : read) {
            ByteBuffer got = ByteBuffer.allocate(PIECE);
            agents.get(1).manager().store().read(m.hash(p), 0, got);
            assertThat(got.array()).as("piece %d", p).isEqualTo(Arrays.copyOfRange(image, p * PIECE, (p + 1) * PIECE));
        }
        assertThat(read).allSatisfy(p -> assertThat(busy.have(p)).isTrue());
        assertThat(busy.stats().verificationFailures()).isZero();
        assertThat(busy.stats().bannedPeers()).isEmpty();
    }

    @Test
    void theSeedIsConnectedEvenWhenTheTrackerNamesMoreAgentsThanTheConnectionCap() throws Exception {
        byte[] image = image(40, 6);
        Manifest m = manifest(image);
        long rate = 16L << 20;
        PeerWireServer seed = seed(image, m, rate);
        maxConnections = 1;
        List<Agent> agents = agents(4, m, seed, rate);
        SwarmSession reader = agents.get(3).session(); // knows 3 empty agents and the seed; may connect to 1 agent

        demandReads(reader, m, 8, 6);

        for (int p = 0; p < m.pieceCount(); p++) {
            if (reader.have(p) && !m.isZero(p)) {
                ByteBuffer got = ByteBuffer.allocate(PIECE);
                agents.get(3).manager().store().read(m.hash(p), 0, got);
                assertThat(got.array()).as("piece %d", p).isEqualTo(Arrays.copyOfRange(image, p * PIECE, (p + 1) * PIECE));
            }
        }
        assertThat(seedBytes.get(m.swarmId()).get()).isEqualTo(8L * PIECE);
    }

    /** Waits until every agent has ranked itself among all {@code agents.size()} agents of its swarm. */
    static void awaitRanked(List<Agent> agents) {
        await().atMost(Duration.ofSeconds(10)).until(() -> agents.stream()
                .allMatch(a -> a.session().seedPartition().size() >= agents.size()));
    }

    @Test
    void withTheSeedPartitionEachPieceLeavesTheSeedOnceAndAgentsPassItOn() throws Exception {
        byte[] image = image(120, 4);
        Manifest m = manifest(image);
        long rate = 8L << 20;
        PeerWireServer seed = seed(image, m, rate);
        List<Agent> agents = agents(4, m, seed, rate);
        awaitRanked(agents);
        assertThat(agents).extracting(a -> a.session().seedPartition().size()).containsOnly(4);
        assertThat(agents).extracting(a -> a.session().seedPartition().rank()).containsExactlyInAnyOrder(0, 1, 2, 3);

        int[] profile = new int[m.pieceCount()];
        for (int i = 0; i < profile.length; i++) {
            profile[i] = (i * 7) % profile.length; // a permutation: the profile's order is not the image's
        }
        for (Agent a : agents) {
            closing.add(new Prefetcher(a.session(), profile, 8, false, 4, "partition").start());
        }
        awaitComplete(agents);

        long nonZeroPieces = java.util.stream.IntStream.range(0, m.pieceCount()).filter(p -> !m.isZero(p)).count();
        long fromSeed = 0;
        for (Agent a : agents) {
            SeedPartition mine = a.session().seedPartition();
            long owned = java.util.stream.IntStream.range(0, m.pieceCount())
                    .filter(p -> !m.isZero(p) && mine.owns(p)).count();
            assertThat(a.session().stats().piecesFromSeed()).as("pieces from the seed, rank %d", mine.rank())
                    .isLessThanOrEqualTo(owned);
            fromSeed += a.session().stats().piecesFromSeed();
        }
        System.out.printf("4 agents, profile prefetch with seed partition: %d of %d non-zero pieces from the seed, "
                + "seed uploaded %.2f x the non-zero bytes%n", fromSeed, nonZeroPieces,
                (double) seed.bytesServed() / m.nonZeroBytes());
        assertThat(fromSeed).isEqualTo(nonZeroPieces);
        assertThat(seed.bytesServed()).isEqualTo(m.nonZeroBytes());
    }

    static void awaitComplete(List<Agent> agents) {
        for (Agent a : agents) {
            await().atMost(Duration.ofSeconds(60)).until(() -> a.session().stats().piecesPresent()
                    == a.session().stats().piecesTotal());
        }
    }

    /** Fills an image on two agents of A, then on two agents of B (which shares 60 % of A's pieces). */
    long[] crossImageRun(boolean crossImage, byte[] a, Manifest ma, byte[] b, Manifest mb) throws Exception {
        seedBytes.clear();
        long rate = 16L << 20;
        PeerWireServer seed = seed(Map.of(ma, a, mb, b), rate);
        resolver = crossImage ? id -> id.equals(mb.swarmId()) ? Optional.of(mb) : Optional.empty()
                : id -> Optional.empty();
        List<Agent> groupA = agents(2, ma, seed, rate);
        for (Agent x : groupA) {
            closing.add(new Prefetcher(x.session(), new int[0], 1, true, 4, "fill-a").start());
        }
        awaitComplete(groupA);
        List<Peer> aPeers = groupA.stream().map(x -> new Peer("127.0.0.1", x.manager().peerPort(), false)).toList();
        List<Agent> groupB = agents(2, mb, seed, rate, aPeers);
        for (Agent x : groupB) {
            closing.add(new Prefetcher(x.session(), new int[0], 1, true, 4, "fill-b").start());
        }
        awaitComplete(groupB);
        long fromAAgents = 0;
        for (Agent x : groupB) {
            for (Peer p : aPeers) {
                fromAAgents += x.session().stats().piecesByPeer().getOrDefault("127.0.0.1:" + p.port(), 0L);
            }
        }
        return new long[]{seedBytes.getOrDefault(mb.swarmId(), new AtomicLong()).get(), fromAAgents};
    }

    @Test
    void agentsOfAnotherImageServeSharedPiecesSoTheSeedUploadsLessThanWithIsolatedSwarms() throws Exception {
        byte[] a = image(64, 7);
        byte[] b = a.clone();
        Random r = new Random(8);
        for (int p = 0; p < 64; p++) {
            if (p % 5 != 0 && r.nextInt(10) < 4) {
                byte[] fresh = new byte[PIECE];
                r.nextBytes(fresh);
                System.arraycopy(fresh, 0, b, p * PIECE, PIECE); // about 40 % of B's pieces are its own
            }
        }
        Manifest ma = manifest(a);
        Manifest mb = manifest(b);
        long[] isolated = crossImageRun(false, a, ma, b, mb);
        long[] shared = crossImageRun(true, a, ma, b, mb);
        System.out.printf("image B: seed uploaded %d KiB with isolated swarms, %d KiB with cross-image sharing; "
                + "B's agents got %d pieces from A's agents%n", isolated[0] >> 10, shared[0] >> 10, shared[1]);
        assertThat(isolated[1]).as("isolated: nothing from A's agents").isZero();
        assertThat(shared[1]).as("shared pieces came from A's agents").isPositive();
        assertThat(shared[0]).isLessThan(isolated[0] * 3 / 4);
    }
}
