package io.bootswarm.bench.harness;

import io.bootswarm.bench.Lab;
import io.bootswarm.bench.model.AnalyticModel;
import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.model.ModelParameters;
import io.bootswarm.bench.model.ModelRun;
import io.bootswarm.bench.model.ServiceTimeProbe;
import io.bootswarm.bench.plot.Csv;
import io.bootswarm.bench.plot.LinePlot;
import io.bootswarm.bench.trace.Playback;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The harness's lab commands: {@code harness} (one run), {@code preheat}, {@code fig8}, {@code fig4},
 * {@code fig10}, {@code coalesce}, {@code model} and {@code model-params}. Options shared by the harness commands:
 * <pre>
 *   --trace debian|synthetic[:seed]|heavy[:seed]|FILE.csv   what the VMs run (default debian)
 *   --rate MBPS          every agent's and the seed's link, Mbit/s, unscaled (default 100)
 *   --latency-us US      added per piece request (default 500, the paper's RTT)
 *   --window K           k of window-randomized prefetch (default 32)
 *   --connections C      agents the tracker names to each agent (default 16)
 *   --slots S            upload slots per agent (default 16)
 *   --prefetch P         pieces an agent prefetches at once (default 16, the agent's)
 *   --scale auto|1..16   bytes and rates divided by it (default auto: N links under --budget-mbps)
 *   --budget-mbps B      what the JVM moves comfortably in all, Mbit/s (default 800)
 *   --timeout S          a run's replays stop after S seconds (default 300)
 *   --coalesce-wait MS   the agents' demand coalescing wait (node-agent's coalesce-wait), ms; 0: off (default:
 *                        the agent's, 1000)
 *   --referrals on|off   the seed refers a demand request for a piece it sent a moment ago to the agents it sent it
 *                        to ({@code bs_referral}), and the agents follow (default off)
 *   --work DIR           stores and the image (default /dev/shm when present)
 *   --out DIR            results (default results/COMMAND)
 * </pre>
 */
public final class HarnessCommands {

    private HarnessCommands() {
    }

    /** Adds the harness's commands to the lab's. */
    public static void register(Map<String, Lab.Command> m) {
        m.put("harness", command("one run: --mode cs_d|cs_p|p2p_d|p2p_p|local --peers N [--verify]; per-VM CSV, "
                + "P(t), delay and rate plots", HarnessCommands::single));
        m.put("preheat", command("a cold boot storm against a preheated one, same run: --mode p2p_p --peers 4; the "
                + "preheat's time (every agent holds the profile) against the cold VMs' boot time", HarnessCommands::preheat));
        m.put("fig8", command("normalized runtime vs swarm size (Fig. 8): --modes LIST --peers LIST, model curves "
                + "beside", HarnessCommands::fig8));
        m.put("fig8-plot", command("redraws fig8.png and its summary from fig8-runs.csv files (--runs A.csv,B.csv; "
                + "a later file's row replaces an earlier one of the same mode and N): resumes or patches a sweep",
                HarnessCommands::fig8Plot));
        m.put("fig4", command("cumulative delay vs time of one peer (Fig. 4): --modes LIST --peers N",
                HarnessCommands::fig4));
        m.put("fig10", command("peer download rate vs time (Fig. 10): --mode p2p_p --peers 16,100",
                HarnessCommands::fig10));
        m.put("coalesce", command("demand coalescing off against on, same trace and N, back to back: --mode p2p_d "
                + "--peers 16 --waits 0,1000 (ms; 0 = off) [--referrals off,on: the i-th run's, paired with --waits]; "
                + "normalized runtime, seed copies, coalesced and yielded fetches", HarnessCommands::coalesce));
        m.put("model", command("the analytic model's normalized runtime vs n (Eqs. 9, 12, 15): --rate MBPS "
                + "--max-n N", HarnessCommands::model));
        m.put("model-params", command("measures RTT and Q on this machine against a real PeerWireServer",
                args -> ServiceTimeProbe.main(new String[] {args.get("samples", "2000")})));
    }

    @FunctionalInterface
    private interface Body {
        void run(Lab.Args args) throws Exception;
    }

    private static Lab.Command command(String help, Body body) {
        return new Lab.Command() {
            @Override
            public String help() {
                return help;
            }

            @Override
            public void run(Lab.Args args) throws Exception {
                body.run(args);
            }
        };
    }

    // ---- configuration -------------------------------------------------------------------------

    static HarnessConfig config(Lab.Args a, Mode mode, int peers, Scenario w) {
        long rate = Math.round(a.getDouble("rate", 100) * 1e6 / 8);
        String scale = a.get("scale", "auto");
        int s = scale.equals("auto")
                ? HarnessConfig.autoScale(peers, rate, Math.round(a.getDouble("budget-mbps", 800) * 1e6 / 8))
                : Integer.parseInt(scale);
        return new HarnessConfig(mode, peers, rate, rate, Duration.ofNanos(a.getLong("latency-us", 500) * 1000),
                a.getInt("window", 32), a.getInt("prefetch", 16), a.getInt("seed-prefetch", 1),
                a.getInt("connections", 16), a.getInt("slots", 16), s, Duration.ofSeconds(a.getLong("timeout", 300)),
                w.profile(), workDir(a), null,
                a.options().containsKey("coalesce-wait") ? Duration.ofMillis(a.getLong("coalesce-wait", 0)) : null,
                a.get("referrals", "off").equals("on"));
    }

    private static Path workDir(Lab.Args a) {
        String dir = a.get("work", Files.isDirectory(Path.of("/dev/shm")) ? "/dev/shm/bootswarm-lab"
                : System.getProperty("java.io.tmpdir") + "/bootswarm-lab");
        return Path.of(dir);
    }

    private static HarnessResult run(HarnessConfig c, Scenario w, boolean verify) throws Exception {
        HarnessResult r = Harness.run(c, w.trace(), verify, System.out::println);
        System.out.println("  " + r.summary());
        return r;
    }

    /** The model with this machine's Q, RTT = loopback + the harness's added latency, 256 KiB pieces. */
    static AnalyticModel model(Lab.Args a, Scenario w) {
        double rate = a.getDouble("rate", 100) * 1e6 / 8;
        double rtt = ModelParameters.MEASURED_RTT + a.getLong("latency-us", 500) / 1e6;
        return new AnalyticModel(w.demandCurve(),
                new ModelParameters(rtt, ModelParameters.MEASURED_SERVICE, HarnessConfig.PIECE, rate));
    }

    // ---- commands ------------------------------------------------------------------------------

    private static void single(Lab.Args a) throws Exception {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        Mode mode = Mode.parse(a.get("mode", "p2p_p"));
        int n = a.getInt("peers", 8);
        HarnessResult r = run(config(a, mode, n, w), w, a.flag("verify"));
        Path out = a.out();
        String name = mode.label() + "-n" + n;
        agentsCsv(r).write(out.resolve(name + "-agents.csv"));
        Playback p0 = r.agents().getFirst().playback();
        new LinePlot("P(t) of VM 0 against M(t): " + name, "time (s)", "bytes read (MiB)")
                .series("P(t), " + mode.label(), p0.seconds(), mib(p0.bytes()))
                .dashed("M(t), memory", r.memory().seconds(), mib(r.memory().bytes())).save(out, name + "-playback");
        double[][] d = p0.delayAgainst(r.memory());
        new LinePlot("Cumulative delay of VM 0: " + name, "time (s)", "delay (s)").series(mode.label(), d[0], d[1])
                .save(out, name + "-delay");
        new LinePlot("Mean peer download rate: " + name, "time (s)", "download rate (Mbit/s)")
                .series(mode.label() + ", n = " + n, r.rateSeconds(), mbps(r.meanRate())).save(out, name + "-rate");
        if (r.mismatchedReads() > 0) {
            System.out.println("  " + r.mismatchedReads() + " reads returned wrong bytes");
        }
        System.out.println("wrote " + out.toAbsolutePath());
    }

    /**
     * The preheat figure: N agents on capped links boot cold (the profile prefetched while the VMs
     * read, as a launch does), then in a fresh swarm the same agents are preheated with the profile
     * before the VMs boot. Prints both boot times (mean normalized runtime × the trace's memory-speed
     * time), the preheat's own time, demand misses and what the seed sent, and writes them as CSV.
     */
    private static void preheat(Lab.Args a) throws Exception {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        Mode mode = Mode.parse(a.get("mode", "p2p_p"));
        int n = a.getInt("peers", 4);
        HarnessConfig c = config(a, mode, n, w);
        HarnessResult cold = Harness.run(c, w.trace(), a.flag("verify"), false, System.out::println);
        System.out.println("  cold:      " + cold.summary());
        HarnessResult warm = Harness.run(c, w.trace(), a.flag("verify"), true, System.out::println);
        System.out.println("  preheated: " + warm.summary());
        double memory = cold.memory().completion();
        double coldBoot = cold.meanNormalized() * memory;
        double warmBoot = warm.meanNormalized() * memory;
        System.out.printf(Locale.ROOT, "%s n=%d at %.0f Mbit/s: cold boot %.2f s (normalized %.2f, %.1f demand misses "
                        + "per VM); preheat %.2f s = %.2f× a cold boot, then boot %.2f s (normalized %.2f, %.1f demand "
                        + "misses per VM); memory-speed boot %.2f s%n", mode.label(), n, a.getDouble("rate", 100),
                coldBoot, cold.meanNormalized(), (double) cold.demandMisses() / n, warm.preheatSeconds(),
                warm.preheatSeconds() / coldBoot, warmBoot, warm.meanNormalized(), (double) warm.demandMisses() / n,
                memory);
        Path out = a.out();
        new Csv("run", "mode", "peers", "scale", "boot_s", "normalized_mean", "demand_misses_per_vm", "preheat_s",
                "preheat_seed_mib", "seed_copies")
                .row("cold", mode.label(), n, c.scale(), coldBoot, cold.meanNormalized(),
                        (double) cold.demandMisses() / n, 0.0, 0.0, cold.seedCopies())
                .row("preheated", mode.label(), n, c.scale(), warmBoot, warm.meanNormalized(),
                        (double) warm.demandMisses() / n, warm.preheatSeconds(), warm.preheatSeedBytes() / 1048576.0,
                        warm.seedCopies())
                .write(out.resolve("preheat.csv"));
        System.out.println("wrote " + out.toAbsolutePath());
    }

    /**
     * Demand coalescing measured: the same mode, trace and N run once per coalescing wait, back to back, so the
     * ratios share the machine's minute. Prints each run's summary with the machine's load average at its start,
     * and writes {@code coalesce.csv}.
     */
    private static void coalesce(Lab.Args a) throws Exception {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        Mode mode = Mode.parse(a.get("mode", "p2p_d"));
        Path out = a.out();
        Csv csv = new Csv("trace", "mode", "peers", "scale", "coalesce_wait_ms", "referrals", "normalized_mean",
                "normalized_p50",
                "normalized_max", "finished", "estimated", "seed_copies", "pieces_from_seed_share",
                "demand_misses_per_vm", "coalesced_per_vm", "yielded_per_vm", "expired_per_vm", "wall_s", "cpu_mean",
                "machine_cpu_mean", "loadavg_1m");
        for (int n : a.ints("peers", "16")) {
            List<Integer> waits = a.ints("waits", "0,1000");
            List<String> referrals = a.list("referrals", "off");
            for (int i = 0; i < Math.max(waits.size(), referrals.size()); i++) {
                int ms = waits.get(Math.min(i, waits.size() - 1));
                boolean referring = referrals.get(Math.min(i, referrals.size() - 1)).equals("on");
                String load = loadAverage();
                System.out.println("coalesce-wait " + ms + " ms, referrals " + (referring ? "on" : "off")
                        + ", load average " + load);
                HarnessResult r = run(config(a, mode, n, w).withCoalesceWait(Duration.ofMillis(ms))
                        .withReferrals(referring), w, false);
                csv.row(a.get("trace", "debian"), mode.label(), n, r.config().scale(), ms, referring ? "on" : "off",
                        r.estimatedNormalizedMean(), r.quantileNormalized(0.5), r.maxNormalized(), r.finishedAgents(),
                        r.finishedAgents() < n, r.seedCopies(), r.piecesFromSeedShare(),
                        (double) r.demandMisses() / n, (double) r.coalesced() / n, (double) r.yielded() / n,
                        (double) r.coalesceExpired() / n, r.wallSeconds(), r.machine().cpuMean(),
                        r.machine().systemCpuMean(), load);
                csv.write(out.resolve("coalesce.csv"));
                agentsCsv(r).write(out.resolve("runs/" + mode.label() + "-n" + n + "-wait" + ms
                        + (referring ? "-referrals" : "") + "-" + i + "-agents.csv"));
            }
        }
        System.out.println("wrote " + out.toAbsolutePath());
    }

    /** The machine's 1-minute load average, or "?" where {@code /proc/loadavg} is missing. */
    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static void fig8(Lab.Args a) throws Exception {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        List<Mode> modes = a.list("modes", "cs_d,cs_p,p2p_d,p2p_p").stream().map(Mode::parse).toList();
        List<Integer> sizes = a.ints("peers", "1,10,25,50,100");
        Path out = a.out();
        Csv csv = new Csv("mode", "peers", "scale", "normalized_mean", "normalized_p50", "normalized_max",
                "finished", "estimated", "seed_copies", "pieces_from_seed_share", "demand_misses_per_vm",
                "wall_s", "cpu_mean", "cpu_max", "machine_cpu_mean", "heap_mib", "threads", "gc_s", "seed_bound_normalized");
        Map<Mode, List<double[]>> measured = new LinkedHashMap<>();
        // the sweep's own runs give Fig. 4 (one peer's delay at --fig4-peers) and Fig. 10 (p2p_p's rates)
        int fig4Peers = a.getInt("fig4-peers", 16);
        LinePlot fig4 = new LinePlot("Cumulative delay of one peer vs time (n = " + fig4Peers + ")", "time (s)",
                "delay against memory (s)");
        LinePlot fig10 = new LinePlot("Mean peer download rate vs time (p2p_p)", "time (s)",
                "download rate per peer (Mbit/s)");
        boolean any4 = false;
        boolean any10 = false;
        for (Mode mode : modes) {
            for (int n : sizes) {
                HarnessResult r = run(config(a, mode, n, w), w, false);
                agentsCsv(r).write(out.resolve("runs/" + mode.label() + "-n" + n + "-agents.csv"));
                if (n == fig4Peers) {
                    double[][] d = r.agents().getFirst().playback().delayAgainst(r.memory());
                    fig4.series(mode.label(), d[0], d[1]);
                    any4 = true;
                }
                if (mode == Mode.P2P_P && n > 1) {
                    fig10.series("n = " + n, r.rateSeconds(), mbps(r.meanRate()));
                    any10 = true;
                }
                HarnessResult.Machine m = r.machine();
                boolean estimated = r.finishedAgents() < r.agents().size();
                double mean = r.estimatedNormalizedMean();
                measured.computeIfAbsent(mode, k -> new ArrayList<>()).add(new double[] {n, mean});
                csv.row(mode.label(), n, r.config().scale(), mean, r.quantileNormalized(0.5), r.maxNormalized(),
                        r.finishedAgents(), estimated, r.seedCopies(), r.piecesFromSeedShare(),
                        (double) r.demandMisses() / n, r.wallSeconds(), m.cpuMean(), m.cpuMax(), m.systemCpuMean(),
                        m.heapMaxBytes() >> 20, m.platformThreads(), m.gcSeconds(), r.seedBoundNormalized());
                csv.write(out.resolve("fig8-runs.csv")); // after every run: a long sweep keeps what it measured
            }
        }
        if (any4) {
            fig4.save(out, "fig4");
        }
        if (any10) {
            fig10.save(out, "fig10");
        }
        drawFig8(a, w, modes, sizes, measured, out);
        System.out.println("wrote " + out.toAbsolutePath());
    }

    private static void drawFig8(Lab.Args a, Scenario w, List<Mode> modes, List<Integer> sizes,
                                 Map<Mode, List<double[]>> measured, Path out) throws IOException {
        AnalyticModel model = model(a, w);
        LinePlot plot = new LinePlot("Normalized runtime vs swarm size (" + a.get("rate", "100") + " Mbps, "
                + a.get("trace", "debian") + ")", "peers (VMs booting at once)", "P⁻¹(A) / M⁻¹(A)").logY();
        measured.forEach((mode, all) -> { // a run with a VM that never read anything has no estimate: left out
            List<double[]> pts = all.stream().filter(p -> Double.isFinite(p[1]) && p[1] > 0).toList();
            plot.series(mode.label() + " (harness)", pts.stream().mapToDouble(p -> p[0]).toArray(),
                    pts.stream().mapToDouble(p -> p[1]).toArray());
        });
        int maxN = sizes.stream().mapToInt(Integer::intValue).max().orElse(100);
        double[] ns = new double[maxN];
        for (int i = 0; i < maxN; i++) {
            ns[i] = i + 1;
        }
        for (Mode mode : modes) {
            double[] y = new double[maxN];
            for (int i = 0; i < maxN; i++) {
                y[i] = model.normalizedRuntime(mode, i + 1);
            }
            plot.dashed(mode.label() + " (model)", ns, y);
        }
        plot.save(out, "fig8");
        StringBuilder summary = new StringBuilder();
        summary.append(w.trace().describe(HarnessConfig.PIECE)).append('\n').append(model.parameters()).append('\n');
        for (int n : sizes) {
            Double p2pp = at(measured, Mode.P2P_P, n);
            Double p2pd = at(measured, Mode.P2P_D, n);
            Double csd = at(measured, Mode.CS_D, n);
            summary.append(String.format(Locale.ROOT, "n=%d: p2p_p %s, cs_d/p2p_p %s, p2p_d/p2p_p %s%n", n,
                    fmt(p2pp), ratio(csd, p2pp), ratio(p2pd, p2pp)));
        }
        Files.writeString(out.resolve("fig8-summary.txt"), summary);
        System.out.print(summary);
    }

    private static void fig8Plot(Lab.Args a) throws IOException {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        Map<String, double[]> rows = new LinkedHashMap<>(); // "mode n" -> {n, normalized}
        for (String file : a.list("runs", "results/fig8/fig8-runs.csv")) {
            List<String> lines = Files.readAllLines(Path.of(file));
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",");
                rows.put(f[0] + " " + f[1], new double[] {Double.parseDouble(f[1]),
                        f[3].isEmpty() ? Double.NaN : Double.parseDouble(f[3])});
            }
        }
        Map<Mode, List<double[]>> measured = new LinkedHashMap<>();
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>();
        rows.forEach((k, v) -> {
            measured.computeIfAbsent(Mode.parse(k.split(" ")[0]), m -> new ArrayList<>()).add(v);
            sizes.add((int) v[0]);
        });
        measured.values().forEach(l -> l.sort(java.util.Comparator.comparingDouble(p -> p[0])));
        Path out = a.out();
        drawFig8(a, w, List.copyOf(measured.keySet()), List.copyOf(sizes), measured, out);
        System.out.println("wrote " + out.toAbsolutePath());
    }

    private static Double at(Map<Mode, List<double[]>> m, Mode mode, int n) {
        List<double[]> pts = m.get(mode);
        if (pts == null) {
            return null;
        }
        return pts.stream().filter(p -> p[0] == n).map(p -> p[1]).findFirst().orElse(null);
    }

    private static String fmt(Double v) {
        return v == null ? "-" : String.format(Locale.ROOT, "%.2f", v);
    }

    private static String ratio(Double a, Double b) {
        return a == null || b == null ? "-" : String.format(Locale.ROOT, "%.1f×", a / b);
    }

    private static void fig4(Lab.Args a) throws Exception {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        List<Mode> modes = a.list("modes", "cs_d,p2p_d,p2p_p").stream().map(Mode::parse).toList();
        int n = a.getInt("peers", 16);
        Path out = a.out();
        LinePlot plot = new LinePlot("Cumulative delay of one peer vs time (n = " + n + ")", "time (s)",
                "delay against memory (s)");
        Csv csv = new Csv("mode", "peers", "normalized", "final_delay_s", "demand_misses", "demand_wait_p50_ms",
                "demand_wait_p99_ms");
        for (Mode mode : modes) {
            HarnessResult r = run(config(a, mode, n, w), w, false);
            HarnessResult.Agent one = r.agents().getFirst();
            double[][] d = one.playback().delayAgainst(r.memory());
            plot.series(mode.label(), d[0], d[1]);
            csv.row(mode.label(), n, one.normalized(), d[1][d[1].length - 1], one.demandMisses(),
                    one.demandWaitP50(), one.demandWaitP99());
        }
        plot.save(out, "fig4");
        csv.write(out.resolve("fig4-runs.csv"));
        System.out.println("wrote " + out.toAbsolutePath());
    }

    private static void fig10(Lab.Args a) throws Exception {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        Mode mode = Mode.parse(a.get("mode", "p2p_p"));
        List<Integer> sizes = a.ints("peers", "16,100");
        Path out = a.out();
        LinePlot plot = new LinePlot("Mean peer download rate vs time (" + mode.label() + ")", "time (s)",
                "download rate per peer (Mbit/s)");
        Csv csv = new Csv("mode", "peers", "normalized_mean", "rate_mean_mbps_while_running", "rate_peak_mbps",
                "seed_copies", "pieces_from_seed_share");
        for (int n : sizes) {
            HarnessResult r = run(config(a, mode, n, w), w, false);
            double[] rate = mbps(r.meanRate());
            plot.series("n = " + n, r.rateSeconds(), rate);
            double end = r.agents().stream().mapToDouble(x -> x.playback().completion()).max().orElse(0);
            double sum = 0;
            int k = 0;
            double peak = 0;
            for (int i = 0; i < rate.length; i++) {
                peak = Math.max(peak, rate[i]);
                if (r.rateSeconds()[i] <= end) {
                    sum += rate[i];
                    k++;
                }
            }
            csv.row(mode.label(), n, r.estimatedNormalizedMean(), k == 0 ? 0 : sum / k, peak, r.seedCopies(),
                    r.piecesFromSeedShare());
        }
        plot.save(out, "fig10");
        csv.write(out.resolve("fig10-runs.csv"));
        System.out.println("wrote " + out.toAbsolutePath());
    }

    private static void model(Lab.Args a) throws IOException {
        Scenario w = Scenario.named(a.get("trace", "debian"));
        AnalyticModel model = model(a, w);
        int maxN = a.getInt("max-n", 1024);
        List<Double> ns = new ArrayList<>();
        for (double n = 1; n <= maxN; n = Math.max(n + 1, Math.round(n * 1.15))) {
            ns.add(n);
        }
        double[] x = ns.stream().mapToDouble(Double::doubleValue).toArray();
        LinePlot plot = new LinePlot("Model: normalized runtime vs swarm size (" + model.parameters() + ")",
                "peers", "P⁻¹(A) / M⁻¹(A)").logX().logY();
        Csv csv = new Csv("mode", "peers", "rate_mbps", "normalized");
        for (Mode mode : List.of(Mode.CS_D, Mode.CS_P, Mode.P2P_D, Mode.P2P_P)) {
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) {
                int n = (int) x[i];
                ModelRun run = model.run(mode, n);
                y[i] = run.normalizedRuntime();
                csv.row(mode.label(), n, model.rate(mode, n) * 8 / 1e6, y[i]);
            }
            plot.series(mode.label(), x, y);
        }
        Path out = a.out();
        plot.save(out, "model");
        csv.write(out.resolve("model-runs.csv"));
        System.out.println(w.trace().describe(HarnessConfig.PIECE) + "\n" + model.parameters());
        System.out.println("wrote " + out.toAbsolutePath());
    }

    // ---- output helpers ------------------------------------------------------------------------

    static Csv agentsCsv(HarnessResult r) {
        Csv csv = new Csv("agent", "finished", "normalized", "completion_s", "demand_misses", "demand_wait_p50_ms",
                "demand_wait_p99_ms", "pieces_fetched", "pieces_from_seed", "uploaded_bytes", "prefetched", "coalesced",
                "yielded", "expired");
        for (int i = 0; i < r.agents().size(); i++) {
            HarnessResult.Agent x = r.agents().get(i);
            csv.row(i, x.finished(), x.normalized(), x.playback().completion(), x.demandMisses(), x.demandWaitP50(),
                    x.demandWaitP99(), x.piecesFetched(), x.piecesFromSeed(), x.uploaded(), x.prefetched(),
                    x.coalesced(), x.yielded(), x.expired());
        }
        return csv;
    }

    private static double[] mib(long[] bytes) {
        double[] out = new double[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            out[i] = bytes[i] / 1048576.0;
        }
        return out;
    }

    private static double[] mbps(double[] bytesPerSecond) {
        double[] out = new double[bytesPerSecond.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = bytesPerSecond[i] * 8 / 1e6;
        }
        return out;
    }
}
