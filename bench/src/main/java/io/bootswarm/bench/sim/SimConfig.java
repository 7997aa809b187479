package io.bootswarm.bench.sim;

import io.bootswarm.bench.model.Mode;

import java.util.Locale;

/**
 * One simulated boot storm: N VMs on N hosts booting at once from one seed. The defaults are the
 * harness's ({@code HarnessConfig.of}) and the agent's ({@code SwarmSettings.defaults()}), so that
 * the simulator and the harness run the same setting.
 *
 * @param mode                how the agents get pieces (local: no network at all)
 * @param peers               N
 * @param linkRate            every agent's upload and download capacity, bytes/s
 * @param seedRate            the seed's upload capacity, bytes/s
 * @param latency             W: request to first byte for every piece (RTT + service time Q), seconds
 * @param window              k of window-randomized prefetch
 * @param prefetchConcurrency pieces an agent prefetches at once (the agent's default: 4)
 * @param seedPrefetchSlots   of those, how many may come from the seed at once (default 1), and only
 *                            while no other agent the host knows holds the piece
 * @param maxConnections      agents each agent downloads from (random, fixed for the run; default 32)
 * @param demandWeight        a demand fetch's weight against a prefetch's 1 when links are shared:
 *                            the agents serve urgent connections first
 * @param fill                after the profile, prefetch the workload's other pieces rarest first
 * @param startSpread         each VM boots at a uniformly random time in [0, startSpread] seconds
 *                            (0: all at once, as in the paper); its runtime counts from its boot
 * @param seed                random seed: neighbours, prefetch windows, tie breaks
 * @param partitionSeed       prefetches use the seed only for the pieces this host owns: with the
 *                            hosts it knows (those it connects to and those connecting to it) and itself
 *                            ranked by id, piece p is owned by rank {@code mix(p) mod known};
 *                            the seed slot takes the host's owned pieces in profile order (beyond the
 *                            window) and every other prefetched piece comes from agents
 * @param deferDemand         (with partitionSeed) a demand for a piece no connected agent holds waits for
 *                            a connected owner already fetching it instead of asking the seed, at most
 *                            the time the owner's copy should take; otherwise it goes to the seed
 * @param trackerPeers        agents the tracker names to each host (the agent asks for 200): with the
 *                            host's connections and the agents connecting to it, the hosts it knows
 *                            and ranks for {@code partitionSeed}
 * @param coalesceWait        the agent's demand coalescing ({@code coalesceWait} of node-agent's
 *                            {@code SwarmSettings}), seconds; 0: off. A demand for a piece no connected agent holds
 *                            waits, once, at most this long for a connected agent whose request for the piece is
 *                            out to the seed (it advertises it with {@code bs_fetching}) or that waits for an agent
 *                            ranking before it (a relay; hosts rank by index), and is served by the first connected
 *                            agent that gets it. An advertisement reaches the peers at once, which the agent gets
 *                            to by its lockstep yield
 */
public record SimConfig(Mode mode, int peers, double linkRate, double seedRate, double latency, int window,
                        int prefetchConcurrency, int seedPrefetchSlots, int maxConnections, double demandWeight,
                        boolean fill, double startSpread, long seed, boolean partitionSeed, boolean deferDemand,
                        int trackerPeers, double coalesceWait) {

    /** 100 Mbps in bytes per second. */
    public static final double MBPS_100 = 12.5e6;
    /** 1 Gbps in bytes per second. */
    public static final double GBPS_1 = 125e6;

    public SimConfig {
        if (mode == null || peers < 1 || !(linkRate > 0) || !(seedRate > 0) || !(latency >= 0) || window < 1
                || prefetchConcurrency < 1 || seedPrefetchSlots < 1 || maxConnections < 1 || !(demandWeight >= 1) || !(startSpread >= 0)
                || trackerPeers < 0 || !(coalesceWait >= 0)) {
            throw new IllegalArgumentException("simulation settings out of range");
        }
    }

    /**
     * The harness's defaults: 100 Mbps links and seed, 0.5 ms per request, k = 32, the agent's slots and
     * its seed partition (on, among the 200 peers it asks the tracker for).
     */
    public static SimConfig of(Mode mode, int peers) {
        return new SimConfig(mode, peers, MBPS_100, MBPS_100, 0.5e-3, 32, 4, 1, 32, 8, false, 0, 1, true, false, 200, 0);
    }

    public SimConfig withMode(Mode m) {
        return new SimConfig(m, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withPeers(int n) {
        return new SimConfig(mode, n, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    /** Agents' links and the seed's at {@code rate} bytes/s. */
    public SimConfig withRate(double rate) {
        return new SimConfig(mode, peers, rate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withSeedRate(double rate) {
        return new SimConfig(mode, peers, linkRate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withLatency(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, seconds, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withWindow(int k) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, k, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withSeedPrefetchSlots(int slots) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, slots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withPrefetchConcurrency(int c) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, c, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withFill(boolean f) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, f, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, s, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    public SimConfig withStartSpread(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, seconds, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait);
    }

    /** The seed-prefetch partition on or off (see {@code partitionSeed}). */
    public SimConfig withPartitionSeed(boolean on) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, on, deferDemand, trackerPeers, coalesceWait);
    }

    public SimConfig withDeferDemand(boolean on) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, on, trackerPeers, coalesceWait);
    }

    public SimConfig withTrackerPeers(int numWant) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, numWant,
                coalesceWait);
    }

    /** The agents' demand coalescing wait, seconds (0: off). */
    public SimConfig withCoalesceWait(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                seconds);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s n=%d link %.0f Mbps seed %.0f Mbps W %.2f ms k=%d pf=%d seedSlots=%d%s",
                mode.label(), peers, linkRate * 8 / 1e6, seedRate * 8 / 1e6, latency * 1e3, window,
                prefetchConcurrency, seedPrefetchSlots, fill ? " fill" : "")
                + (partitionSeed ? " partition numWant=" + trackerPeers : "") + (deferDemand ? " defer" : "")
                + (coalesceWait > 0 ? String.format(Locale.ROOT, " coalesce %.0f ms", coalesceWait * 1e3) : "")
                + (startSpread > 0 ? String.format(Locale.ROOT, " spread %.1f s", startSpread) : "");
    }
}
