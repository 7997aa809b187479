package io.bootswarm.bench.harness;

import io.bootswarm.bench.trace.Playback;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * What one harness run measured, in unscaled bytes and real seconds.
 *
 * @param config        the run's settings
 * @param trace         the trace's description
 * @param memory        M(t) (unscaled bytes)
 * @param agents        one per agent, in agent order
 * @param seedUploaded  bytes the seed uploaded (unscaled)
 * @param touchedBytes  bytes of the pieces the trace touches (unscaled): one copy of what each VM needs
 * @param rateSeconds   the times of the download-rate samples (interval ends), seconds since launch
 * @param meanRate      mean over agents of each agent's download rate in each interval, bytes/s (unscaled)
 * @param machine       what the JVM went through during the run
 * @param wallSeconds   from launch to the last replay's end (or the timeout)
 * @param mismatchedReads reads whose bytes differed from the image (counted only when the run verified them)
 * @param preheatSeconds  a preheated run's time from the preheat's start until every agent held the profile; 0 if
 *                        the run was not preheated
 * @param preheatSeedBytes what the seed sent during the preheat (unscaled)
 * @param readBytes     bytes of the distinct pieces read (unscaled): the touched bytes if a VM finished, else those of
 *                      the reads the furthest VM got to (the one under way included)
 */
public record HarnessResult(HarnessConfig config, String trace, Playback memory, List<Agent> agents,
                            long seedUploaded, long touchedBytes, double[] rateSeconds, double[] meanRate,
                            Machine machine, double wallSeconds, long mismatchedReads, double preheatSeconds,
                            long preheatSeedBytes, long readBytes) {

    /**
     * One agent's run.
     *
     * @param playback       P(t), unscaled bytes
     * @param normalized     P⁻¹(A) / M⁻¹(A); infinite if the replay did not finish
     * @param finished       every read completed before the timeout
     * @param demandMisses   reads that waited for a missing piece
     * @param demandWaitP50  ms
     * @param demandWaitP99  ms
     * @param piecesFetched  pieces downloaded
     * @param piecesFromSeed of those, from the seed
     * @param uploaded       bytes this agent uploaded to others (unscaled)
     * @param prefetched     pieces its prefetcher fetched
     * @param coalesced      demand fetches that waited for an agent fetching the piece and got it from that agent
     *                       (the agent's {@code bootswarm.agent.fetch.coalesced})
     * @param yielded        demand requests to the seed withdrawn to wait for such an agent
     *                       ({@code bootswarm.agent.fetch.yielded})
     * @param expired        demand fetches whose coalescing wait ran out, then asked the seed
     *                       ({@code bootswarm.agent.fetch.coalesce.expired})
     */
    public record Agent(Playback playback, double normalized, boolean finished, int demandMisses,
                        double demandWaitP50, double demandWaitP99, long piecesFetched, long piecesFromSeed,
                        long uploaded, long prefetched, long coalesced, long yielded,
                        long expired) {
    }

    /**
     * The machine's load during the run: where scaling stops.
     *
     * @param cpuMean        mean process CPU load, 0..1 of all cores
     * @param cpuMax         highest sample
     * @param systemCpuMean  mean CPU load of the whole machine, 0..1 (other processes share it)
     * @param heapMaxBytes   highest heap use sampled
     * @param platformThreads highest platform thread count
     * @param gcSeconds      time spent in GC during the run
     * @param cores          available processors
     */
    public record Machine(double cpuMean, double cpuMax, double systemCpuMean, long heapMaxBytes, int platformThreads, double gcSeconds,
                          int cores) {
    }

    public double[] normalized() {
        return agents.stream().mapToDouble(Agent::normalized).toArray();
    }

    public double meanNormalized() {
        return Arrays.stream(normalized()).average().orElse(Double.NaN);
    }

    /**
     * The mean normalized runtime, with each VM that did not finish before the timeout estimated
     * from its progress as if it went on at its mean pace: {@code wall × A / P(wall)} over M⁻¹(A).
     * A centralized run whose seed is saturated streams at a steady rate, so the estimate is close;
     * reports mark runs that needed it.
     */
    public double estimatedNormalizedMean() {
        double sum = 0;
        for (Agent a : agents) {
            if (a.finished()) {
                sum += a.normalized();
            } else {
                long played = a.playback().total();
                double total = memory.total();
                sum += played <= 0 ? Double.POSITIVE_INFINITY
                        : wallSeconds * total / played / memory.completion();
            }
        }
        return sum / agents.size();
    }

    /**
     * The centralized modes' other estimate of an unfinished run: the seed must upload what every
     * VM needs (N copies of the touched bytes); at the pace it kept during the run that takes
     * {@code wall × N × touched / seedUploaded}, over M⁻¹(A). A lower bound on the runtime when the
     * seed is the only source, as in cs_d and cs_p; NaN for runs that finished.
     */
    public double seedBoundNormalized() {
        if (finishedAgents() == agents.size() || seedUploaded == 0) {
            return Double.NaN;
        }
        return wallSeconds * agents.size() * (double) touchedBytes / seedUploaded / memory.completion();
    }

    public double quantileNormalized(double q) {
        double[] v = normalized();
        Arrays.sort(v);
        int i = (int) Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1));
        return v[i];
    }

    public double minNormalized() {
        return Arrays.stream(normalized()).min().orElse(Double.NaN);
    }

    public double maxNormalized() {
        return Arrays.stream(normalized()).max().orElse(Double.NaN);
    }

    public double stdevNormalized() {
        double[] v = normalized();
        double m = meanNormalized();
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return v.length > 1 ? Math.sqrt(s / (v.length - 1)) : 0;
    }

    public long finishedAgents() {
        return agents.stream().filter(Agent::finished).count();
    }

    /** Seed upload as copies of what was read: bytes the seed uploaded over the bytes of the distinct pieces read. */
    public double seedCopies() {
        return (double) seedUploaded / (readBytes > 0 ? readBytes : touchedBytes);
    }

    public double piecesFromSeedShare() {
        long all = agents.stream().mapToLong(Agent::piecesFetched).sum();
        long seed = agents.stream().mapToLong(Agent::piecesFromSeed).sum();
        return all == 0 ? 0 : (double) seed / all;
    }

    /** Demand fetches, over all agents, served by an agent they waited for instead of the seed. */
    public long coalesced() {
        return agents.stream().mapToLong(Agent::coalesced).sum();
    }

    /** Demand requests to the seed, over all agents, withdrawn to wait for an agent fetching the piece. */
    public long yielded() {
        return agents.stream().mapToLong(Agent::yielded).sum();
    }

    /** Demand fetches, over all agents, whose coalescing wait ran out. */
    public long coalesceExpired() {
        return agents.stream().mapToLong(Agent::expired).sum();
    }

    public int demandMisses() {
        return agents.stream().mapToInt(Agent::demandMisses).sum();
    }

    /** One line for reports. */
    public String summary() {
        HarnessConfig c = config;
        return String.format(Locale.ROOT,
                "%-6s n=%-3d normalized mean %.2f (p50 %.2f, min %.2f, max %.2f, sd %.2f), %d/%d finished; "
                        + "seed %.2f copies, %.0f %% of pieces from the seed; demand misses %.1f per VM "
                        + "(coalesced %.1f, yielded %.1f, waits expired %.1f); "
                        + "wall %.1f s; cpu %.0f %% (max %.0f %%, machine %.0f %%) of %d cores, heap max %d MiB, %d threads, gc %.1f s",
                c.mode().label(), c.peers(), meanNormalized(), quantileNormalized(0.5), minNormalized(),
                maxNormalized(), stdevNormalized(), finishedAgents(), agents.size(), seedCopies(),
                100 * piecesFromSeedShare(), (double) demandMisses() / agents.size(),
                (double) coalesced() / agents.size(), (double) yielded() / agents.size(),
                (double) coalesceExpired() / agents.size(), wallSeconds,
                100 * machine.cpuMean(), 100 * machine.cpuMax(), 100 * machine.systemCpuMean(), machine.cores(),
                machine.heapMaxBytes() >> 20, machine.platformThreads(), machine.gcSeconds())
                + (preheatSeconds > 0 ? String.format(Locale.ROOT, "; preheated in %.2f s, seed sent %.2f× the touched pieces",
                preheatSeconds, (double) preheatSeedBytes / touchedBytes) : "");
    }
}
