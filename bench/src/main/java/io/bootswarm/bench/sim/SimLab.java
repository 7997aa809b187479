package io.bootswarm.bench.sim;

import io.bootswarm.allocation.Strategy;
import io.bootswarm.bench.Lab;
import io.bootswarm.bench.model.AnalyticModel;
import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.model.ModelParameters;
import io.bootswarm.bench.plot.Csv;
import io.bootswarm.bench.plot.LinePlot;
import io.bootswarm.bench.trace.Profile;
import io.bootswarm.bench.trace.SyntheticTrace;
import io.bootswarm.bench.trace.Trace;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The simulator's lab commands:
 * <pre>
 *   sim-fig9       normalized runtime vs N for cs_d, cs_p, p2p_d, p2p_p at 100 Mbps and 1 Gbps (VMTorrent
 *                  Fig. 9 and its extrapolation to 1,024), analytic model curves beside
 *   sim-calibrate  the simulator in the harness's setting for every (mode, n) of a harness CSV, and the difference
 *   sim-cross      Wu et al. Figs. 5–7: ISO / Cross-Equ / Cross-Prop / Cross-Opt, Zipf and uniform, 20–90 % common
 * </pre>
 * Options of sim-fig9 and sim-calibrate: {@code --trace debian|synthetic[:seed]|heavy[:seed]|FILE.csv} (default
 * debian; heavy as the harness replays it, profile from runs 1–3), {@code --latency-us} (500), {@code --window} (32), {@code --connections} (32),
 * {@code --prefetch} (4), {@code --seed-slots} (2), {@code --spread S} (VMs boot within S seconds, 0),
 * {@code --seed} (1), {@code --no-partition} (every prefetch may use the seed, as before the agent's
 * seed partition), {@code --num-want} (tracker peers per host, 200), {@code --defer-demand},
 * {@code --coalesce-wait MS} (the agent's demand coalescing, 0 = off as default), {@code --fill-concurrency} (16),
 * {@code --views none|core[=K]+pex[=ROUNDS]+redirect[=FANOUT]} (partial-view mechanisms, {@link SimConfig.Views}),
 * {@code --variants LIST} (sim-fig9: several {@code --views} values side by side in one run), {@code --out DIR}.
 */
public final class SimLab {

    private static final int PIECE = 256 * 1024;

    private SimLab() {
    }

    /** Adds the simulator's commands to the lab's. */
    public static void register(Map<String, Lab.Command> m) {
        m.put("sim-fig9", command("simulated normalized runtime vs N (Fig. 9 extrapolation): --modes LIST --peers LIST "
                + "--rates 100,1000", SimLab::fig9));
        m.put("sim-calibrate", command("simulator against a harness CSV (columns mode, n|peers, normalized|"
                + "normalized_mean): --harness FILE [--rate MBPS]", SimLab::calibrate));
        m.put("sim-cross", command("Wu et al. Figs. 5-7, allocation strategies: --rates LIST --ratios LIST --seeds K",
                SimLab::cross));
    }

    /** The commands by name (for running them without {@link Lab}). */
    public static Map<String, Lab.Command> commands() {
        Map<String, Lab.Command> m = new LinkedHashMap<>();
        register(m);
        return m;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, Lab.Command> m = commands();
        if (argv.length == 0 || !m.containsKey(argv[0])) {
            m.forEach((k, c) -> System.out.printf("  %-14s %s%n", k, c.help()));
            return;
        }
        m.get(argv[0]).run(Lab.Args.parse(argv[0], List.of(argv).subList(1, argv.length)));
    }

    private static Lab.Command command(String help, Action a) {
        return new Lab.Command() {
            @Override
            public String help() {
                return help;
            }

            @Override
            public void run(Lab.Args args) throws Exception {
                a.run(args);
            }
        };
    }

    private interface Action {
        void run(Lab.Args args) throws Exception;
    }

    static Workload workload(Lab.Args args) throws IOException {
        String t = args.get("trace", "debian");
        Trace trace;
        if (t.startsWith("heavy")) { // as the harness replays it: run 0, profiled from runs 1-3
            SyntheticTrace heavy = SyntheticTrace.heavy(t.contains(":") ? Long.parseLong(t.substring(t.indexOf(':') + 1)) : 1);
            return Workload.of(heavy.run(0), Profile.fromTraces(List.of(heavy.run(1), heavy.run(2), heavy.run(3)), PIECE),
                    PIECE);
        }
        if (t.equals("debian")) {
            trace = Trace.debianBoot();
        } else if (t.startsWith("synthetic")) {
            long seed = t.contains(":") ? Long.parseLong(t.substring(t.indexOf(':') + 1)) : 1;
            trace = SyntheticTrace.paperLike(seed).run(0);
        } else {
            trace = Trace.load(Path.of(t), 0);
        }
        return Workload.of(trace, PIECE);
    }

    static SimConfig config(Lab.Args args, Mode mode, int n, double rate) {
        return new SimConfig(mode, n, rate, rate, args.getDouble("latency-us", 500) * 1e-6, args.getInt("window", 32),
                args.getInt("prefetch", 4), args.getInt("seed-slots", 2), args.getInt("connections", 32), 8,
                args.flag("fill"), args.getDouble("spread", 0), args.getLong("seed", 1), !args.flag("no-partition"),
                args.flag("defer-demand"), args.getInt("num-want", 200), args.getDouble("coalesce-wait", 0) / 1e3,
                args.getInt("fill-concurrency", 16), SimConfig.Views.parse(args.get("views", "none")));
    }

    private static void fig9(Lab.Args args) throws IOException {
        Workload w = workload(args);
        List<Mode> modes = args.list("modes", "cs_d,cs_p,p2p_d,p2p_p").stream().map(Mode::parse).toList();
        List<Integer> peers = args.ints("peers", "1,4,16,64,100,128,256,512,1024");
        Path out = args.out();
        List<String> variants = args.list("variants", args.get("views", "none"));
        Csv csv = new Csv("rate_mbps", "mode", "views", "n", "normalized_mean", "normalized_p50", "normalized_max",
                "seed_copies", "from_seed_share", "model", "sim_seconds", "wall_seconds");
        System.out.printf(Locale.ROOT, "%s: %d pieces read, M^-1(A) = %.2f s%n", w.name(), w.piecesRead(), w.ideal());
        for (String r : args.list("rates", "100,1000")) {
            double rate = Double.parseDouble(r) * 1e6 / 8;
            AnalyticModel model = new AnalyticModel(w.demandCurve(),
                    new ModelParameters(args.getDouble("latency-us", 500) * 1e-6, ModelParameters.MEASURED_SERVICE, PIECE, rate));
            LinePlot plot = new LinePlot(String.format(Locale.ROOT, "Simulated normalized runtime vs swarm size (%s Mbps, %s)",
                    r, w.name()), "peers (n)", "P⁻¹(A) / M⁻¹(A)").logX().logY();
            double[] x = peers.stream().mapToDouble(Integer::doubleValue).toArray();
            for (Mode mode : modes) {
                for (String variant : variants) {
                    SimConfig.Views views = SimConfig.Views.parse(variant);
                    double[] y = new double[peers.size()];
                    double[] ym = new double[peers.size()];
                    for (int i = 0; i < peers.size(); i++) {
                        SimResult res = SwarmSim.run(w, config(args, mode, peers.get(i), rate).withViews(views));
                        y[i] = res.mean();
                        ym[i] = model.normalizedRuntime(mode, peers.get(i));
                        double perVm = (double) w.piecesRead() * PIECE;
                        csv.row(r, mode.label(), views, peers.get(i), res.mean(), res.quantile(0.5), res.max(),
                                res.seedCopies(perVm), res.pieces() == 0 ? 0.0 : (double) res.piecesFromSeed() / res.pieces(),
                                ym[i], res.simSeconds(), res.wallSeconds());
                        System.out.printf(Locale.ROOT, "%s  [seed %.2f copies]%n", res, res.seedCopies(perVm));
                    }
                    plot.series("sim " + mode.label() + (variants.size() > 1 ? " " + views : ""), x, y);
                    if ((mode == Mode.CS_D || mode == Mode.P2P_P) && variant.equals(variants.getFirst())) {
                        plot.dashed("model " + mode.label(), x, ym);
                    }
                    csv.write(out.resolve("sim-fig9.csv"));
                }
            }
            plot.dashed("2× A", new double[] {x[0], x[x.length - 1]}, new double[] {2, 2});
            System.out.println("wrote " + plot.save(out, "sim-fig9-" + r + "mbps"));
        }
    }

    /** One harness measurement: mode, n, normalized runtime. */
    record HarnessRow(Mode mode, int n, double normalized) {
    }

    /** Reads mode, n (or peers) and normalized (or normalized_mean) from a harness CSV. */
    static List<HarnessRow> readHarness(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<String> head = List.of(lines.getFirst().strip().split(","));
        int m = head.indexOf("mode");
        int n = head.indexOf("n") >= 0 ? head.indexOf("n") : head.indexOf("peers");
        int v = head.indexOf("normalized") >= 0 ? head.indexOf("normalized") : head.indexOf("normalized_mean");
        if (m < 0 || n < 0 || v < 0) {
            throw new IOException(file + ": need columns mode, n (or peers), normalized (or normalized_mean); got " + head);
        }
        List<HarnessRow> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(",");
            Mode mode = Mode.parse(f[m]);
            if (mode != Mode.LOCAL && !f[v].isBlank()) {
                rows.add(new HarnessRow(mode, Integer.parseInt(f[n].strip()), Double.parseDouble(f[v].strip())));
            }
        }
        return rows;
    }

    private static void calibrate(Lab.Args args) throws IOException {
        Workload w = workload(args);
        double rate = args.getDouble("rate", 100) * 1e6 / 8;
        Path out = args.out();
        Csv csv = new Csv("mode", "n", "harness", "sim", "difference_pct");
        double worst = 0;
        for (HarnessRow h : readHarness(Path.of(args.get("harness", "results/fig8/fig8-runs.csv")))) {
            SimResult r = SwarmSim.run(w, config(args, h.mode(), h.n(), rate));
            double diff = 100 * (r.mean() - h.normalized()) / h.normalized();
            worst = Math.max(worst, Math.abs(diff));
            csv.row(h.mode().label(), h.n(), h.normalized(), r.mean(), diff);
            System.out.printf(Locale.ROOT, "%-6s n=%-4d harness %.3f  sim %.3f  difference %+.1f %%%n", h.mode().label(),
                    h.n(), h.normalized(), r.mean(), diff);
        }
        csv.write(out.resolve("sim-calibrate.csv"));
        System.out.printf(Locale.ROOT, "largest difference %.1f %%; wrote %s%n", worst, out.resolve("sim-calibrate.csv"));
    }

    private static void cross(Lab.Args args) throws IOException {
        Path out = args.out();
        List<Double> rates = args.list("rates", "5,10,20,40").stream().map(Double::parseDouble).toList();
        List<Double> ratios = args.list("ratios", "0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9").stream().map(Double::parseDouble).toList();
        double fixedRate = args.getDouble("rate", 20);
        double fixedRatio = args.getDouble("ratio", 0.2);
        int seeds = args.getInt("seeds", 3);
        Strategy[] strategies = {Strategy.ISO, Strategy.CROSS_EQU, Strategy.CROSS_PROP, Strategy.CROSS_OPT};
        Csv csv = new Csv("figure", "popularity", "arrival_rate", "common_ratio", "strategy", "mean_download_s",
                "idle_seed_share", "vms", "lowest");
        Csv perImage = new Csv("popularity", "image", "strategy", "mean_download_s");
        for (CrossImageSim.Popularity pop : CrossImageSim.Popularity.values()) {
            String p = pop.name().toLowerCase(Locale.ROOT);
            LinePlot fig5 = new LinePlot("Mean download time vs request rate (" + p + ", " + (int) (fixedRatio * 100)
                    + " % common)", "VM requests per second", "mean download time (s)");
            LinePlot fig7 = new LinePlot("Mean download time vs common-chunk ratio (" + p + ", " + fixedRate + " req/s)",
                    "common-chunk ratio", "mean download time (s)");
            double[][] f5 = new double[strategies.length][rates.size()];
            double[][] f7 = new double[strategies.length][ratios.size()];
            for (int i = 0; i < rates.size(); i++) {
                sweep("fig5", pop, rates.get(i), fixedRatio, seeds, strategies, csv, f5, i, null);
            }
            for (int i = 0; i < ratios.size(); i++) {
                sweep("fig7", pop, fixedRate, ratios.get(i), seeds, strategies, csv, f7, i, null);
            }
            double[][] f6 = new double[strategies.length][];
            sweep("fig6", pop, fixedRate, fixedRatio, seeds, strategies, csv, new double[strategies.length][1], 0, f6);
            LinePlot fig6 = new LinePlot("Mean download time per image (" + p + ", " + fixedRate + " req/s, "
                    + (int) (fixedRatio * 100) + " % common)", "image (1 = most popular)", "mean download time (s)");
            double[] x5 = rates.stream().mapToDouble(Double::doubleValue).toArray();
            double[] x7 = ratios.stream().mapToDouble(Double::doubleValue).toArray();
            for (int s = 0; s < strategies.length; s++) {
                fig5.series(strategies[s].label(), x5, f5[s]);
                fig7.series(strategies[s].label(), x7, f7[s]);
                double[] xi = new double[f6[s].length];
                for (int k = 0; k < xi.length; k++) {
                    xi[k] = k + 1;
                    perImage.row(p, k + 1, strategies[s].label(), f6[s][k]);
                }
                fig6.series(strategies[s].label(), xi, f6[s]);
            }
            fig5.save(out, "sim-cross-fig5-" + p);
            fig6.save(out, "sim-cross-fig6-" + p);
            fig7.save(out, "sim-cross-fig7-" + p);
        }
        csv.write(out.resolve("sim-cross.csv"));
        perImage.write(out.resolve("sim-cross-per-image.csv"));
        System.out.println("wrote " + out.resolve("sim-cross.csv"));
    }

    private static void sweep(String figure, CrossImageSim.Popularity pop, double rate, double ratio, int seeds,
                              Strategy[] strategies, Csv csv, double[][] into, int at, double[][] perImage) {
        double[] mean = new double[strategies.length];
        double[] idle = new double[strategies.length];
        int[] vms = new int[strategies.length];
        for (int s = 0; s < strategies.length; s++) {
            double[] img = null;
            for (int k = 0; k < seeds; k++) {
                CrossImageSim.Result r = CrossImageSim.run(
                        CrossImageSim.Setting.paper(ratio, pop, rate, 1000L * k + 17), strategies[s]);
                mean[s] += r.mean() / seeds;
                idle[s] += r.idleSeed() / seeds;
                vms[s] += r.vms();
                if (img == null) {
                    img = new double[r.perImage().length];
                }
                for (int i = 0; i < img.length; i++) {
                    img[i] += r.perImage()[i] / seeds;
                }
            }
            into[s][at] = mean[s];
            if (perImage != null) {
                perImage[s] = img;
            }
        }
        int best = 0;
        for (int s = 1; s < strategies.length; s++) {
            best = mean[s] < mean[best] ? s : best;
        }
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%s %-7s %5.1f req/s %3.0f %% common:",
                figure, pop.name().toLowerCase(Locale.ROOT), rate, ratio * 100));
        for (int s = 0; s < strategies.length; s++) {
            csv.row(figure, pop.name().toLowerCase(Locale.ROOT), rate, ratio, strategies[s].label(), mean[s], idle[s],
                    vms[s], s == best);
            line.append(String.format(Locale.ROOT, "  %s %.2f s", strategies[s].label(), mean[s]));
        }
        System.out.println(line.append("  lowest: ").append(strategies[best].label()));
    }
}
