package io.bootswarm.bench.harness;

import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.trace.Profile;

import java.nio.file.Path;
import java.time.Duration;

/**
 * One harness run: a mode, N agents, their links, and how the run is scaled to fit the machine.
 *
 * <p><b>Scaling.</b> With {@code scale = s > 1} the run moves s times fewer bytes in the same time:
 * pieces are 256 KiB / s, every read's offset and length are divided by s (it touches the same
 * pieces), and every link rate is divided by s. A piece then takes as long to cross a link as at
 * full scale, think times are unchanged, and so P(t) / M(t) and the normalized runtime keep their
 * meaning; what does not scale is the per-message cost (a piece is fewer 16 KiB blocks). Results
 * are reported in unscaled bytes.
 *
 * @param mode                how the agents get pieces
 * @param peers               agents (VMs booting at once), one VM each
 * @param linkRate            every agent's upload and download rate, bytes per second, unscaled
 * @param seedRate            the seed's upload rate, bytes per second, unscaled
 * @param latency             added once per piece request (the agent's {@code requestLatency})
 * @param window              k of window-randomized prefetch
 * @param prefetchConcurrency pieces an agent prefetches at once
 * @param seedPrefetchSlots   of those, how many may come from the seed at once
 * @param maxConnections      other agents the emulated tracker names to each agent (numWant) in the P2P
 *                            modes; the seed is always named too
 * @param uploadSlots         peers an agent uploads to at once (plus one optimistic; demand is always served)
 * @param scale               s as above: 1, 2, 4, 8 or 16 (pieces of 256, 128, 64, 32, 16 KiB)
 * @param timeout             a run's replays are stopped after this long (the agent counts as not finished)
 * @param profile             the profile for the _p modes, built at 256 KiB pieces (piece indices are the same at
 *                            every scale); null: the single-run profile of the replayed trace itself
 *                            (the paper's "small profile")
 * @param workDir             stores, overlays and the image go here, and are deleted after the run
 * @param sampleEvery         how often download rates and the JVM's load are sampled
 * @param coalesceWait        the agents' {@code coalesceWait} (node-agent's {@code SwarmSettings}: how long a demand
 *                            miss only the seed could serve waits for a connected agent fetching the piece); zero:
 *                            demand coalescing off; null: the agent's default
 * @param referrals           the seed answers a demand request for a piece it sent to other agents within a minute
 *                            with {@code bs_referral} naming them, and the agents follow it (common's
 *                            {@code PeerWireServer#referring}, node-agent's {@code SeedReferrals}); off: neither
 */
public record HarnessConfig(Mode mode, int peers, long linkRate, long seedRate, Duration latency, int window,
                            int prefetchConcurrency, int seedPrefetchSlots, int maxConnections, int uploadSlots,
                            int scale, Duration timeout, Profile profile, Path workDir, Duration sampleEvery,
                            Duration coalesceWait, boolean referrals) {

    /** The paper's base piece size: 256 KiB (the fleet's). */
    public static final int PIECE = 256 * 1024;
    /** 100 Mbps in bytes per second. */
    public static final long MBPS_100 = 12_500_000L;

    public HarnessConfig {
        if (peers < 1 || linkRate <= 0 || seedRate <= 0 || window < 1 || prefetchConcurrency < 1
                || seedPrefetchSlots < 1 || maxConnections < 1 || uploadSlots < 1) {
            throw new IllegalArgumentException("harness settings out of range");
        }
        if (scale < 1 || scale > 16 || Integer.bitCount(scale) != 1) {
            throw new IllegalArgumentException("scale must be 1, 2, 4, 8 or 16, not " + scale);
        }
        latency = latency == null ? Duration.ZERO : latency;
        timeout = timeout == null ? Duration.ofMinutes(30) : timeout;
        sampleEvery = sampleEvery == null ? Duration.ofMillis(250) : sampleEvery;
    }

    /** Defaults: 100 Mbps links and seed, 0.5 ms latency (VMTorrent §4.3.1's RTT), k = 32, the agent's defaults. */
    public static HarnessConfig of(Mode mode, int peers, Path workDir) {
        return new HarnessConfig(mode, peers, MBPS_100, MBPS_100, Duration.ofNanos(500_000), 32, 4, 1, 16, 16, 1,
                null, null, workDir, null, null, false);
    }

    public HarnessConfig withMode(Mode m) {
        return new HarnessConfig(m, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withPeers(int n) {
        return new HarnessConfig(mode, n, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    /** Both the agents' links and the seed's at {@code rate} bytes per second. */
    public HarnessConfig withRate(long rate) {
        return new HarnessConfig(mode, peers, rate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withScale(int s) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, maxConnections, uploadSlots, s, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withWindow(int k) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, k, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withLatency(Duration d) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, d, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withProfile(Profile p) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, maxConnections, uploadSlots, scale, timeout, p, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withTimeout(Duration d) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, maxConnections, uploadSlots, scale, d, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withPrefetch(int concurrency, int seedSlots) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, concurrency, seedSlots,
                maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withConnections(int connections, int slots) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, connections, slots, scale, timeout, profile, workDir, sampleEvery, coalesceWait, referrals);
    }

    public HarnessConfig withSampleEvery(Duration d) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, maxConnections, uploadSlots, scale, timeout, profile, workDir, d, coalesceWait, referrals);
    }

    /** The agents' demand coalescing wait: zero for off, null for the agent's default. */
    public HarnessConfig withCoalesceWait(Duration d) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery, d,
                referrals);
    }

    /** With the seed's referrals (and the agents following them) on or off. */
    public HarnessConfig withReferrals(boolean on) {
        return new HarnessConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency,
                seedPrefetchSlots, maxConnections, uploadSlots, scale, timeout, profile, workDir, sampleEvery,
                coalesceWait, on);
    }

    /** Piece size at this scale. */
    public int pieceSize() {
        return PIECE / scale;
    }

    /**
     * The smallest scale at which N agents' links together carry at most {@code budget} bytes per
     * second (what one JVM on this machine moves comfortably), at most 16.
     */
    public static int autoScale(int peers, long linkRate, long budget) {
        int s = 1;
        while (s < 16 && (double) peers * linkRate / s > budget) {
            s *= 2;
        }
        return s;
    }
}
