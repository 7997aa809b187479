package io.bootswarm.agent.swarm;

import org.springframework.boot.context.properties.bind.ConstructorBinding;
import org.springframework.util.unit.DataSize;

import java.time.Duration;

/**
 * How an agent behaves in a swarm ({@code bootswarm.agent.swarm.*}). Unset (null or non-positive)
 * values take their defaults.
 *
 * @param maxConnections      agents connected per swarm (each gets a demand and a prefetch connection); seeds
 *                            are connected besides, always
 * @param connectTimeout      TCP connect and handshake
 * @param unchokeTimeout      how long to wait for a connection that has a piece to unchoke us
 * @param pieceTimeout        how long one peer may take to deliver a requested piece before another is tried
 * @param maxAttempts         attempts a prefetch makes for one piece, spread over the peers that have it,
 *                            before it fails (a demand read waits out {@code demandDeadline} instead)
 * @param announceRetry       how soon to ask the tracker again when it knows no usable peer
 * @param uploadSlots         peers this host uploads to at once (plus one optimistic; demand connections
 *                            are always served)
 * @param uploadRate          this host's upload rate per second, all swarms together; 0 for no limit
 * @param downloadRate        this host's download rate per second; 0 for no limit
 * @param prefetchConcurrency pieces a disk prefetches at once while it follows its access profile (16)
 * @param seedPrefetchSlots   of those, how many may come from a seed at once: prefetches go to other
 *                            agents where they can, so that the seed's upload serves demand and
 *                            pieces nobody else has (default 2: a second request queued at the seed, so that
 *                            its link does not idle while each host verifies and stores a piece and asks for
 *                            the next)
 * @param crossImage          serve peers of other images the pieces we hold that their images share
 *                            (null: on)
 * @param requestLatency      added to every piece request before it is sent (null or zero: none): a link
 *                            latency emulated for benchmarks (the lab's harness runs agents on loopback),
 *                            paid once per piece, as a request's round trip would be
 * @param seedPartition       (null: on) prefetches ask a seed only for the pieces this host owns among the
 *                            swarm's agents the tracker names ({@link io.bootswarm.agent.picker.SeedPartition}),
 *                            taking those in profile order beyond the window, and get every other piece
 *                            from agents, so that each piece leaves the seed about once; a prefetch that
 *                            has waited {@code pieceTimeout} for an agent to get its piece may ask the
 *                            seed anyway
 * @param maxRequestsPerPeer  block requests (16 KiB each) we keep outstanding on one connection at most: the
 *                            budget of a connection is the peer's BEP 10 {@code reqq} (250 when it names
 *                            none), never above this; also what we advertise as our own {@code reqq}
 * @param demandDeadline      how long a read waits for a missing piece while no source delivers it before
 *                            it fails (EIO on NBD); closed connections are reconnected and other sources
 *                            tried meanwhile. Prefetches give up after {@code maxAttempts} instead
 * @param banDuration         how long a peer whose bytes failed verification is not connected again
 * @param seedBanDuration     the same for a seed: short, because the seed is still needed for every piece
 *                            only it holds (a rotten piece on its disk does not make the others rotten)
 * @param snubDuration        how long a peer that left a request unanswered for {@code pieceTimeout} is
 *                            asked only when no other peer can serve the piece
 * @param coalesceWait        (null: {@value #DEFAULT_COALESCE_WAIT_MILLIS} ms; zero: off) how long a demand fetch
 *                            whose piece no connected agent holds waits for a connected agent that is fetching
 *                            it (it said so with {@code bs_fetching}) before it asks a seed: in a boot storm the
 *                            seed then sends about one copy of what is read rather than one per host. The wait
 *                            ends as soon as that agent has the piece (it is then fetched from it) or stops
 *                            fetching it; once per fetch. Off, the host does not advertise what it fetches
 *                            either
 * @param fillConcurrency     (default 16) pieces a disk's background fill fetches at once, once its profile is
 *                            done (or without one): enough to keep a request out to each of several peers, so that
 *                            the download link stays busy while pieces come from uploaders shared with other hosts
 * @param splitSources        (default 2; 1: off) how many connections one demand fetch splits its piece's blocks
 *                            over: when two or more agents not snubbed have the piece and room for a share, each is
 *                            asked for a run of its 16 KiB blocks and the blocks fill one buffer; a source that is
 *                            done early also asks for the blocks still missing (the copy that arrives second is
 *                            cancelled). Seeds are not split over: their upload is the swarm's bottleneck
 * @param demandHedge         (null: 2 s; zero: off) how long every connection a demand fetch asked may send nothing
 *                            at all (no block of any piece) before the fetch also asks another source that holds
 *                            the piece, an agent before a seed, for the blocks still missing (in reverse order;
 *                            the copy that arrives second is cancelled), and again after as long without a block
 *                            while untried sources are left. A read then waits about that long on a peer that
 *                            unchoked and went silent (a tarpit, a hung host), not the whole {@code pieceTimeout}
 *                            per such peer; a busy peer that still sends blocks of other pieces is not hedged
 */
public record SwarmSettings(int maxConnections, Duration connectTimeout, Duration unchokeTimeout,
                            Duration pieceTimeout, int maxAttempts, Duration announceRetry, int uploadSlots,
                            DataSize uploadRate, DataSize downloadRate, int prefetchConcurrency,
                            int seedPrefetchSlots, Boolean crossImage, Duration requestLatency,
                            Boolean seedPartition, int maxRequestsPerPeer, Duration demandDeadline,
                            Duration banDuration, Duration seedBanDuration, Duration snubDuration,
                            Duration coalesceWait, int fillConcurrency, int splitSources, Duration demandHedge) {

    /** The default of {@code coalesceWait}. */
    public static final long DEFAULT_COALESCE_WAIT_MILLIS = 1000;

    @ConstructorBinding
    public SwarmSettings {
        maxConnections = maxConnections <= 0 ? 32 : maxConnections;
        connectTimeout = orDefault(connectTimeout, Duration.ofSeconds(5));
        unchokeTimeout = orDefault(unchokeTimeout, Duration.ofSeconds(5));
        pieceTimeout = orDefault(pieceTimeout, Duration.ofSeconds(20));
        maxAttempts = maxAttempts <= 0 ? 6 : maxAttempts;
        announceRetry = orDefault(announceRetry, Duration.ofSeconds(2));
        uploadSlots = uploadSlots <= 0 ? 16 : uploadSlots;
        uploadRate = uploadRate == null ? DataSize.ofBytes(0) : uploadRate;
        downloadRate = downloadRate == null ? DataSize.ofBytes(0) : downloadRate;
        prefetchConcurrency = prefetchConcurrency <= 0 ? 16 : prefetchConcurrency;
        seedPrefetchSlots = seedPrefetchSlots <= 0 ? 2 : seedPrefetchSlots;
        crossImage = crossImage == null || crossImage;
        requestLatency = requestLatency == null || requestLatency.isNegative() ? Duration.ZERO : requestLatency;
        seedPartition = seedPartition == null || seedPartition;
        maxRequestsPerPeer = maxRequestsPerPeer <= 0 ? 500 : maxRequestsPerPeer;
        demandDeadline = orDefault(demandDeadline, Duration.ofSeconds(60));
        banDuration = orDefault(banDuration, Duration.ofMinutes(10));
        seedBanDuration = orDefault(seedBanDuration, Duration.ofSeconds(30));
        snubDuration = orDefault(snubDuration, Duration.ofMinutes(1));
        coalesceWait = coalesceWait == null || coalesceWait.isNegative()
                ? Duration.ofMillis(DEFAULT_COALESCE_WAIT_MILLIS) : coalesceWait;
        fillConcurrency = fillConcurrency <= 0 ? 16 : fillConcurrency;
        splitSources = splitSources <= 0 ? 2 : splitSources;
        demandHedge = demandHedge == null || demandHedge.isNegative() ? Duration.ofSeconds(2) : demandHedge;
    }

    /** Settings with {@code demandHedge} at its default. */
    public SwarmSettings(int maxConnections, Duration connectTimeout, Duration unchokeTimeout, Duration pieceTimeout,
                         int maxAttempts, Duration announceRetry, int uploadSlots, DataSize uploadRate,
                         DataSize downloadRate, int prefetchConcurrency, int seedPrefetchSlots, Boolean crossImage,
                         Duration requestLatency, Boolean seedPartition, int maxRequestsPerPeer,
                         Duration demandDeadline, Duration banDuration, Duration seedBanDuration,
                         Duration snubDuration, Duration coalesceWait, int fillConcurrency, int splitSources) {
        this(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts, announceRetry, uploadSlots,
                uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots, crossImage, requestLatency,
                seedPartition, maxRequestsPerPeer, demandDeadline, banDuration, seedBanDuration, snubDuration,
                coalesceWait, fillConcurrency, splitSources, null);
    }

    /** Settings with {@code splitSources} at its default. */
    public SwarmSettings(int maxConnections, Duration connectTimeout, Duration unchokeTimeout, Duration pieceTimeout,
                         int maxAttempts, Duration announceRetry, int uploadSlots, DataSize uploadRate,
                         DataSize downloadRate, int prefetchConcurrency, int seedPrefetchSlots, Boolean crossImage,
                         Duration requestLatency, Boolean seedPartition, int maxRequestsPerPeer,
                         Duration demandDeadline, Duration banDuration, Duration seedBanDuration,
                         Duration snubDuration, Duration coalesceWait, int fillConcurrency) {
        this(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts, announceRetry, uploadSlots,
                uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots, crossImage, requestLatency,
                seedPartition, maxRequestsPerPeer, demandDeadline, banDuration, seedBanDuration, snubDuration,
                coalesceWait, fillConcurrency, 0);
    }

    /** Settings with the seed partition given and the request budget, deadlines and bans at their defaults. */
    public SwarmSettings(int maxConnections, Duration connectTimeout, Duration unchokeTimeout, Duration pieceTimeout,
                         int maxAttempts, Duration announceRetry, int uploadSlots, DataSize uploadRate,
                         DataSize downloadRate, int prefetchConcurrency, int seedPrefetchSlots, Boolean crossImage,
                         Duration requestLatency, Boolean seedPartition) {
        this(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts, announceRetry, uploadSlots,
                uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots, crossImage, requestLatency,
                seedPartition, 0, null, null, null, null, null, 0, 0);
    }

    /** Settings with the seed partition at its default (on). */
    public SwarmSettings(int maxConnections, Duration connectTimeout, Duration unchokeTimeout, Duration pieceTimeout,
                         int maxAttempts, Duration announceRetry, int uploadSlots, DataSize uploadRate,
                         DataSize downloadRate, int prefetchConcurrency, int seedPrefetchSlots, Boolean crossImage,
                         Duration requestLatency) {
        this(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts, announceRetry, uploadSlots,
                uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots, crossImage, requestLatency, null);
    }

    /** These settings with the seed partition on or off. */
    public SwarmSettings withSeedPartition(boolean on) {
        return new SwarmSettings(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts,
                announceRetry, uploadSlots, uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots,
                crossImage, requestLatency, on, maxRequestsPerPeer, demandDeadline, banDuration, seedBanDuration,
                snubDuration, coalesceWait, fillConcurrency, splitSources, demandHedge);
    }

    /** These settings with another request budget cap, demand deadline, ban and snub durations. */
    SwarmSettings withLimits(int maxRequestsPerPeer, Duration demandDeadline, Duration banDuration,
                             Duration seedBanDuration, Duration snubDuration) {
        return new SwarmSettings(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts,
                announceRetry, uploadSlots, uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots,
                crossImage, requestLatency, seedPartition, maxRequestsPerPeer, demandDeadline, banDuration,
                seedBanDuration, snubDuration, coalesceWait, fillConcurrency, splitSources, demandHedge);
    }

    /** These settings with demand coalescing waiting at most {@code wait} (zero: off). */
    public SwarmSettings withCoalesceWait(Duration wait) {
        return new SwarmSettings(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts,
                announceRetry, uploadSlots, uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots,
                crossImage, requestLatency, seedPartition, maxRequestsPerPeer, demandDeadline, banDuration,
                seedBanDuration, snubDuration, wait, fillConcurrency, splitSources, demandHedge);
    }

    /** These settings with a demand fetch's piece split over at most {@code n} connections (1: off). */
    public SwarmSettings withSplitSources(int n) {
        return new SwarmSettings(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts,
                announceRetry, uploadSlots, uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots,
                crossImage, requestLatency, seedPartition, maxRequestsPerPeer, demandDeadline, banDuration,
                seedBanDuration, snubDuration, coalesceWait, fillConcurrency, n, demandHedge);
    }

    /** These settings with a demand fetch hedged after {@code after} without a block (zero: off). */
    public SwarmSettings withDemandHedge(Duration after) {
        return new SwarmSettings(maxConnections, connectTimeout, unchokeTimeout, pieceTimeout, maxAttempts,
                announceRetry, uploadSlots, uploadRate, downloadRate, prefetchConcurrency, seedPrefetchSlots,
                crossImage, requestLatency, seedPartition, maxRequestsPerPeer, demandDeadline, banDuration,
                seedBanDuration, snubDuration, coalesceWait, fillConcurrency, splitSources, after);
    }

    private static Duration orDefault(Duration d, Duration fallback) {
        return d == null || d.isZero() || d.isNegative() ? fallback : d;
    }

    public static SwarmSettings defaults() {
        return new SwarmSettings(0, null, null, null, 0, null, 0, null, null, 0, 0, null, null, null, 0, null, null,
                null, null, null, 0, 0, null);
    }
}
