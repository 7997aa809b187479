package io.bootswarm.bench.harness;

import io.bootswarm.bench.model.DemandCurve;
import io.bootswarm.bench.trace.Profile;
import io.bootswarm.bench.trace.Read;
import io.bootswarm.bench.trace.SyntheticTrace;
import io.bootswarm.bench.trace.Trace;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the lab's VMs run: the trace every VM replays and the profile the prefetching modes use.
 *
 * <ul>
 *   <li>{@code debian}: the real Debian 12 boot of {@code shared/traces}; one run only, so its
 *       profile is the trace itself (VMTorrent's "small profile", a perfect prediction);</li>
 *   <li>{@code synthetic[:SEED]}: {@link SyntheticTrace#paperLike}, run 0 replayed, the profile
 *       built from runs 1–3 (variations: dropped, added and reordered extents), as the paper
 *       profiles previous runs of a workload;</li>
 *   <li>{@code heavy[:SEED]}: the same with {@link SyntheticTrace#heavy} (a boot, then many files: 5× the data of
 *       debian);</li>
 *   <li>any other value: a trace CSV ({@code time_s,op,offset,length}), profiled from itself.</li>
 * </ul>
 *
 * @param trace   the replayed reads, unscaled
 * @param profile in 256 KiB pieces
 */
public record Scenario(Trace trace, Profile profile) {

    public static Scenario named(String spec) throws IOException {
        if (spec.equals("debian")) {
            return self(Trace.debianBoot());
        }
        if (spec.startsWith("synthetic") || spec.startsWith("heavy")) {
            long seed = spec.contains(":") ? Long.parseLong(spec.substring(spec.indexOf(':') + 1)) : 1;
            SyntheticTrace s = spec.startsWith("heavy") ? SyntheticTrace.heavy(seed) : SyntheticTrace.paperLike(seed);
            List<Trace> previous = List.of(s.run(1), s.run(2), s.run(3));
            return new Scenario(s.run(0), Profile.fromTraces(previous, HarnessConfig.PIECE));
        }
        return self(Trace.load(Path.of(spec), 0));
    }

    public static Scenario self(Trace t) {
        return new Scenario(t, Profile.fromTraces(List.of(t), HarnessConfig.PIECE));
    }

    /**
     * M(t) as the analytic model reads it: each 256 KiB piece's bytes at the time the trace first
     * touches it, flat from the last first touch to the end of the run (M⁻¹(A) is the trace's length).
     */
    public DemandCurve demandCurve() {
        Map<Integer, Long> first = new TreeMap<>();
        int piece = HarnessConfig.PIECE;
        for (Read r : trace.reads()) {
            if (r.length() > 0) {
                for (int p = r.firstPiece(piece); p <= r.lastPiece(piece); p++) {
                    first.putIfAbsent(p, r.micros());
                }
            }
        }
        List<Long> times = new ArrayList<>(first.values());
        times.sort(null);
        double[] t = new double[2 * times.size() + 1];
        double[] m = new double[t.length];
        double sum = 0;
        for (int i = 0; i < times.size(); i++) {
            t[2 * i] = times.get(i) / 1e6;
            m[2 * i] = sum;
            sum += piece;
            t[2 * i + 1] = times.get(i) / 1e6;
            m[2 * i + 1] = sum;
        }
        t[t.length - 1] = Math.max(trace.durationSeconds(), t[t.length - 2]);
        m[m.length - 1] = sum;
        return DemandCurve.of(t, m);
    }
}
