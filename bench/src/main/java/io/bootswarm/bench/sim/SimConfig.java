package io.bootswarm.bench.sim;

import io.bootswarm.bench.model.Mode;

import java.util.ArrayList;
import java.util.List;
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
 * @param seedPrefetchSlots   of those, how many may come from the seed at once (default 2, the agent's), and only
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
 * @param fillConcurrency     pieces in flight per host once its profile is done, with {@code fill} (the agent's
 *                            {@code fill-concurrency}, 16); fill takes the rarest piece a connected agent holds, and
 *                            at most one prefetch slot holds a piece no connected agent has (the agent's orphan slot)
 * @param views               what scales when each host knows only a sample of the swarm: a core in every tracker
 *                            answer, PEX, seed redirects ({@link Views}; {@link Views#NONE}: none of them)
 */
public record SimConfig(Mode mode, int peers, double linkRate, double seedRate, double latency, int window,
                        int prefetchConcurrency, int seedPrefetchSlots, int maxConnections, double demandWeight,
                        boolean fill, double startSpread, long seed, boolean partitionSeed, boolean deferDemand,
                        int trackerPeers, double coalesceWait, int fillConcurrency, Views views) {

    /** 100 Mbps in bytes per second. */
    public static final double MBPS_100 = 12.5e6;
    /** 1 Gbps in bytes per second. */
    public static final double GBPS_1 = 125e6;

    public SimConfig {
        if (mode == null || peers < 1 || !(linkRate > 0) || !(seedRate > 0) || !(latency >= 0) || window < 1
                || prefetchConcurrency < 1 || seedPrefetchSlots < 1 || maxConnections < 1 || !(demandWeight >= 1) || !(startSpread >= 0)
                || trackerPeers < 0 || !(coalesceWait >= 0) || fillConcurrency < 1 || views == null) {
            throw new IllegalArgumentException("simulation settings out of range");
        }
    }

    /**
     * The harness's defaults: 100 Mbps links and seed, 0.5 ms per request, k = 32, the agent's slots and
     * its seed partition (on, among the 200 peers it asks the tracker for).
     */
    public static SimConfig of(Mode mode, int peers) {
        return new SimConfig(mode, peers, MBPS_100, MBPS_100, 0.5e-3, 32, 4, 2, 32, 8, false, 0, 1, true, false, 200, 0, 16,
                Views.NONE);
    }

    public SimConfig withMode(Mode m) {
        return new SimConfig(m, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withPeers(int n) {
        return new SimConfig(mode, n, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    /** Agents' links and the seed's at {@code rate} bytes/s. */
    public SimConfig withRate(double rate) {
        return new SimConfig(mode, peers, rate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withSeedRate(double rate) {
        return new SimConfig(mode, peers, linkRate, rate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withLatency(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, seconds, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withWindow(int k) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, k, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withSeedPrefetchSlots(int slots) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, slots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withPrefetchConcurrency(int c) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, c, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withFill(boolean f) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, f, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withSeed(long s) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, s, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    public SimConfig withStartSpread(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, seconds, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, views);
    }

    /** The seed-prefetch partition on or off (see {@code partitionSeed}). */
    public SimConfig withPartitionSeed(boolean on) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, on, deferDemand, trackerPeers, coalesceWait, fillConcurrency, views);
    }

    public SimConfig withDeferDemand(boolean on) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, on, trackerPeers, coalesceWait, fillConcurrency, views);
    }

    public SimConfig withTrackerPeers(int numWant) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, numWant,
                coalesceWait, fillConcurrency, views);
    }

    /** Pieces in flight per host once its profile is done and it fills (with {@code fill}). */
    public SimConfig withFillConcurrency(int k) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, k, views);
    }

    /** The partial-view mechanisms (see {@link Views}). */
    public SimConfig withViews(Views v) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                coalesceWait, fillConcurrency, v);
    }

    /** The agents' demand coalescing wait, seconds (0: off). */
    public SimConfig withCoalesceWait(double seconds) {
        return new SimConfig(mode, peers, linkRate, seedRate, latency, window, prefetchConcurrency, seedPrefetchSlots,
                maxConnections, demandWeight, fill, startSpread, seed, partitionSeed, deferDemand, trackerPeers,
                seconds, fillConcurrency, views);
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s n=%d link %.0f Mbps seed %.0f Mbps W %.2f ms k=%d pf=%d seedSlots=%d%s",
                mode.label(), peers, linkRate * 8 / 1e6, seedRate * 8 / 1e6, latency * 1e3, window,
                prefetchConcurrency, seedPrefetchSlots, fill ? " fill" : "")
                + (partitionSeed ? " partition numWant=" + trackerPeers : "") + (deferDemand ? " defer" : "")
                + (coalesceWait > 0 ? String.format(Locale.ROOT, " coalesce %.0f ms", coalesceWait * 1e3) : "")
                + (fill ? " fillConc=" + fillConcurrency : "") + (views.equals(Views.NONE) ? "" : " " + views)
                + (startSpread > 0 ? String.format(Locale.ROOT, " spread %.1f s", startSpread) : "");
    }

    /**
     * Mechanisms for partial views (each host knows {@code trackerPeers} of the N − 1 others), each off at 0.
     *
     * @param core        the tracker names the same {@code core} agents (the first to join) to every host besides its
     *                    random ones, and the seed partition ranks the core only: every piece has exactly one owner,
     *                    which every host knows; a host outside the core owns nothing (its prefetches come from agents,
     *                    or from the seed after the owner wait)
     * @param pexRounds   BEP 11 peer exchange: rounds at connect time in which every host learns, from each of its
     *                    connections, up to {@code pexMax} of the agents that connection is connected to (either
     *                    direction); the learned agents join the hosts it ranks for the seed partition, not its
     *                    connections (the connection cap holds)
     * @param pexMax      agents per PEX message (BEP 11's "added" list: 50)
     * @param seedFanout  the seed redirects: the first host to ask it for a piece gets it from the seed; the i-th
     *                    after it (i ≥ 1) is told to get it from the ⌈i / fanout⌉-th host that asked before it
     *                    (⌊(i − 1) / fanout⌋-th, 0-based), which got it from the seed or its own parent: a tree of
     *                    fanout per piece rooted at the seed's one copy. The redirected host fetches from its parent
     *                    over an extra connection once the parent holds the piece (or from a connected agent that
     *                    gets it first)
     */
    public record Views(int core, int pexRounds, int pexMax, int seedFanout) {

        /** No mechanism: random partial views as the tracker hands them out today. */
        public static final Views NONE = new Views(0, 0, 50, 0);

        public Views {
            if (core < 0 || pexRounds < 0 || pexMax < 1 || seedFanout < 0) {
                throw new IllegalArgumentException("view settings out of range");
            }
        }

        /**
         * Parses {@code none} or a {@code +}-joined list of {@code core[=K]} (default 128), {@code pex[=ROUNDS]} (1),
         * {@code redirect[=FANOUT]} (4).
         */
        public static Views parse(String spec) {
            Views v = NONE;
            for (String part : spec.split("\\+")) {
                String[] kv = part.strip().split("=", 2);
                int arg = kv.length > 1 ? Integer.parseInt(kv[1]) : -1;
                v = switch (kv[0]) {
                    case "none", "" -> v;
                    case "core" -> new Views(arg < 0 ? 128 : arg, v.pexRounds, v.pexMax, v.seedFanout);
                    case "pex" -> new Views(v.core, arg < 0 ? 1 : arg, v.pexMax, v.seedFanout);
                    case "redirect" -> new Views(v.core, v.pexRounds, v.pexMax, arg < 0 ? 4 : arg);
                    default -> throw new IllegalArgumentException("unknown view mechanism: " + kv[0]);
                };
            }
            return v;
        }

        @Override
        public String toString() {
            List<String> on = new ArrayList<>();
            if (core > 0) {
                on.add("core=" + core);
            }
            if (pexRounds > 0) {
                on.add("pex=" + pexRounds);
            }
            if (seedFanout > 0) {
                on.add("redirect=" + seedFanout);
            }
            return on.isEmpty() ? "none" : String.join("+", on);
        }
    }
}
