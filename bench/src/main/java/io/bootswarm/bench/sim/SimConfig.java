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
 */
public record SimConfig(Mode mode, int peers, double linkRate, double seedRate, double latency, int window,
                        int prefetchConcurrency, int seedPrefetchSlots, int maxConnections, double demandWeight,
                        boolean fill, double startSpread, long seed) {

    /** 100 Mbps in bytes per second. */
    public static final double MBPS_100 = 12.5e6;
    /** 1 Gbps in bytes per second. */
    public static final double GBPS_1 = 125e6;

    public SimConfig {
        if (mode == null || peers < 1 || !(linkRate > 0) || !(seedRate > 0) || !(latency >= 0) || window < 1
                || prefetchConcurrency < 1 || seedPrefetchSlots < 1 || maxConnections < 1 || !(demandWeight >= 1) || !(startSpread >= 0)) {
            throw new IllegalArgumentException("simulation settings out of range");
        }
    }

    /** The harness's defaults: 100 Mbps links and seed, 0.5 ms per request, k = 32, the agent's slots. */
    public static SimConfig of(Mode mode, int peers) {
        return new SimConfig(mode, peers, MBPS_100, MBPS_100, 0.5e-3, 32, 4, 1, 32, 8, false, 0, 1);
    }

    public SimConfig withMode(Mode m) {
        return new SimConfig(m, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withPeers(int n) {
        return new SimConfig(mode, n, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    /** Agents' links and the seed's at {@code rate} bytes/s. */
    public SimConfig withRate(double rate) {
        return new SimConfig(mode, peers, rate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withSeedRate(double rate) {
        return new SimConfig(mode, peers, linkRate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withLatency(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, seconds, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withWindow(int k) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, k, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withSeedPrefetchSlots(int slots) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, slots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withPrefetchConcurrency(int c) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, c, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed);
    }

    public SimConfig withFill(boolean f) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, f, startSpread, seed);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, s);
    }

    public SimConfig withStartSpread(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, seconds, seed);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s n=%d link %.0f Mbps seed %.0f Mbps W %.2f ms k=%d pf=%d seedSlots=%d%s",
                mode.label(), peers, linkRate * 8 / 1e6, seedRate * 8 / 1e6, latency * 1e3, window,
                prefetchConcurrency, seedPrefetchSlots, fill ? " fill" : "")
                + (startSpread > 0 ? String.format(Locale.ROOT, " spread %.1f s", startSpread) : "");
    }
}
