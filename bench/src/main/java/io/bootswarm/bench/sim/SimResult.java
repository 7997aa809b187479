package io.bootswarm.bench.sim;

import java.util.Arrays;
import java.util.Locale;

/**
 * What one simulated boot storm gave.
 *
 * @param config          the setting
 * @param workload        the workload's name
 * @param ideal           M⁻¹(A), seconds
 * @param normalized      P⁻¹(A)/M⁻¹(A) per VM
 * @param seedBytes       bytes the seed uploaded
 * @param agentBytes      bytes the agents uploaded to each other
 * @param downloadedBytes bytes the agents received (= seed + agents when conserved)
 * @param pieces          piece transfers completed
 * @param piecesFromSeed  of those, from the seed
 * @param escalations     prefetches raised to demand fetches
 * @param events          events processed
 * @param simSeconds      simulated time at the last event
 * @param wallSeconds     time the simulation took
 * @param maxUpRatio      largest Σ rates / capacity seen on an uplink (audited runs; 0 otherwise)
 * @param maxDownRatio    the same on a downlink
 */
public record SimResult(SimConfig config, String workload, double ideal, double[] normalized, double seedBytes,
                        double agentBytes, double downloadedBytes, long pieces, long piecesFromSeed, long escalations,
                        long events, double simSeconds, double wallSeconds, double maxUpRatio, double maxDownRatio) {

    SimResult(SimConfig config, String workload, double ideal, double[] normalized, double seedBytes,
              double agentBytes, double downloadedBytes, long pieces, long piecesFromSeed, long escalations,
              long events, double simSeconds, double wallSeconds) {
        this(config, workload, ideal, normalized, seedBytes, agentBytes, downloadedBytes, pieces, piecesFromSeed,
                escalations, events, simSeconds, wallSeconds, 0, 0);
    }

    public double mean() {
        return Arrays.stream(normalized).average().orElse(Double.NaN);
    }

    public double max() {
        return Arrays.stream(normalized).max().orElse(Double.NaN);
    }

    public double min() {
        return Arrays.stream(normalized).min().orElse(Double.NaN);
    }

    /** The q-quantile (0..1) of the normalized runtimes, nearest rank. */
    public double quantile(double q) {
        double[] v = normalized.clone();
        Arrays.sort(v);
        return v[Math.min(v.length - 1, Math.max(0, (int) Math.ceil(q * v.length) - 1))];
    }

    /** Seed upload over the bytes one VM needed: how many images' worth the seed sent. */
    public double seedCopies(double bytesPerVm) {
        return bytesPerVm > 0 ? seedBytes / bytesPerVm : 0;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT,
                "%-52s normalized mean %.3f (min %.3f, p50 %.3f, max %.3f); seed %.1f MB, agents %.1f MB, %d pieces "
                        + "(%d from seed), %d escalations; %d events, %.0f s simulated in %.2f s",
                config, mean(), min(), quantile(0.5), max(), seedBytes / 1e6, agentBytes / 1e6, pieces, piecesFromSeed,
                escalations, events, simSeconds, wallSeconds);
    }
}
