package io.bootswarm.allocation;

import java.util.Arrays;
import java.util.Objects;

/**
 * Cross-Opt: the seed-bandwidth split by the dual subgradient method of Wu et al. §IV
 * (Eqs. 12–16, Algorithm 1).
 *
 * <h2>The method, as the paper states it</h2>
 * The min-max problem (Eq. 11: minimise M subject to {@code Σ_i u_s^i = u_s} and
 * {@code M ≥ T_r^i}) has the Lagrangian (Eq. 12)
 * <pre>
 *   L(M, u, δ) = M + δ_0 (Σ_i u_i − u_s) + Σ_i δ_i (R^i / (P^i + u_i) − M),   δ_i ≥ 0
 * </pre>
 * with {@code R^i = Σ_j R_j^i} and {@code P^i = Σ_j u_j θ_j^i}. For given multipliers the inner
 * minimum (Eq. 13) is closed-form:
 * <ul>
 *   <li>in M: {@code ∂L/∂M = 1 − Σ_i δ_i}, so L is bounded below only when {@code Σ_i δ_i = 1}
 *       (the paper's {@code Σ α_i = 1} of §III): the dual lives on the simplex;</li>
 *   <li>in u_i ≥ 0: {@code δ_0 = δ_i R^i / (P^i + u_i)²}, i.e.
 *       {@code u_i* = max(0, sqrt(δ_i R^i / δ_0) − P^i)}.</li>
 * </ul>
 * The dual function (Eq. 14) is then {@code g(δ_0, δ) = δ_0 (Σ u_i* − u_s) + Σ_i δ_i T_i(u*)}, a
 * lower bound on the optimal M for every {@code δ_0 ≥ 0} and δ on the simplex (weak duality),
 * and its subgradients are {@code Σ u_i* − u_s} in δ_0 and {@code T_i(u*) − M} in δ_i: the
 * updates of Eqs. 15–16. Two corrections to the printed equations: (1) the dual is
 * <em>maximised</em>, so the steps add ν times the subgradient (as printed they subtract it,
 * which would lower the weight of a swarm that is late, T_i &gt; M, the opposite of the
 * equalisation of Theorem III.1); (2) the projection {@code [·]^+} of Eq. 16 is onto the simplex,
 * and the M in Eq. 16 is the level at which the projected weights sum to one.
 *
 * <h2>What this class adds (each choice measured: {@code bench/.../ConvergenceStudy})</h2>
 * <ul>
 *   <li><b>Step (Eq. 16).</b> An exponentiated subgradient step, i.e. the projected subgradient
 *       method in the entropy geometry of the simplex (mirror descent):
 *       {@code δ_i ← δ_i exp(ν_t (T_i − M̂)) / Z}, where the normaliser Z is the projection and
 *       plays the role of M in Eq. 16. Step {@code ν_t = α / M̂_t}, M̂ the best plan's M so far,
 *       so the step is dimensionless (T/M); α = 2, the step that cancels the linearised error
 *       in one go ({@code T_i ∝ δ_i^{-1/2}} at a fixed price). T_i is clipped at
 *       {@value #CLIP}·M̂ (a swarm with no peer upload and a tiny weight has T → ∞). The paper's
 *       single Euclidean step ({@link StepRule#SCALAR}) needs hundreds to thousands of
 *       iterations and on most generated families does not reach 0.5 % within 3000; a Euclidean
 *       step scaled by R^i ({@link StepRule#SCALED}) needs ~45 and fails to converge when R^i
 *       spans many orders of magnitude (the uniform start puts most weight on tiny swarms, and
 *       an additive step sheds it only at their scale).</li>
 *   <li><b>Price step (Eq. 15).</b> On the served set {@code Σ u_i* = A x − ΣP} is linear in
 *       {@code x = δ_0^{-1/2}}, so the step is Newton-scaled:
 *       {@code x ← x ((u_s + ΣP_served)/(Σu* + ΣP_served))^β}, β = 1, change clamped to
 *       [¼, 4]. A plain relative step {@code δ_0 (1 + β (Σu* − u_s)/u_s)} oscillates when the
 *       peers' upload dominates the seed's (the spend is then very elastic in δ_0). The first
 *       price spends exactly u_s. Re-solving δ_0 exactly every iteration
 *       ({@link PriceUpdate#LINE_SEARCH}) takes a few iterations less on small problems but up
 *       to twice as many on 10^5 swarms (23–28 against 14–15), each dearer.</li>
 *   <li><b>Primal recovery.</b> u* need not spend exactly u_s; the plan is u* scaled to sum to
 *       u_s (so ≥ 0 and Σ = u_s hold), and the best such plan over the iterations is kept.</li>
 *   <li><b>Stopping.</b> When the best plan's M̂ and the best dual value ĝ satisfy
 *       {@code M̂ − ĝ ≤ ε ĝ}, which proves {@code M̂ ≤ (1 + ε) M*}; ε = 0.5 % by default (half
 *       the 1 % the allocator promises), or after {@code maxIterations} (500; the plan then
 *       reports the larger gap it reached).</li>
 *   <li><b>Cold start.</b> Equal weights {@code δ_i = 1/n} over unfinished swarms (the paper
 *       gives none). Note {@link ColdStart#REMAINING_BYTES}: with {@code δ_i ∝ R^i} the first
 *       plan is already exact, which is why {@link ExactSolver} is a one-dimensional search.</li>
 *   <li><b>Warm start.</b> From any previous plan, matched by swarm id: its dual weights (or,
 *       for plans without a dual, the KKT weights {@code δ_i ∝ (P^i + u_s^i)² / R^i} of the
 *       swarms it served, on the new inputs), mixed with λ = 10 % of the cold start so that no
 *       swarm starts at a weight a multiplicative step cannot grow quickly.</li>
 *   <li><b>Complementary-slackness repair.</b> After the first iteration of a warm start, and
 *       whenever the best plan has not improved for 3 iterations: a swarm that cannot finish
 *       by the proven lower bound ĝ on its own peers ({@code R^i > ĝ P^i}) almost surely belongs
 *       to the bottleneck, and gets at least the KKT weight of one, {@code δ_0 R^i / M̂²}.
 *       Without it a swarm whose weight decayed while it was not needed takes
 *       {@code ~M/(α (T_i − M))} iterations per e-fold to come back: up to 72 iterations instead
 *       of 16 on the paper's setting, 41 instead of 15 on 10^5 swarms, and warm starts after
 *       small changes that take longer than cold ones.</li>
 * </ul>
 * Each iteration is a few O(n) passes over primitive arrays (one square root, one exponential
 * and two divisions per swarm). The plan carries the final dual: {@code δ_i} (which swarms hold
 * M up) and {@code δ_0} (seconds of M per byte/s of seed upload).
 */
public final class SubgradientSolver implements AllocationSolver {

    /** The solver with {@link Settings#DEFAULT}. */
    public static final SubgradientSolver DEFAULT = new SubgradientSolver(Settings.DEFAULT);

    /** T_i in a step is clipped at this multiple of the best M. */
    static final double CLIP = 4;

    private final Settings settings;

    public SubgradientSolver(Settings settings) {
        this.settings = Objects.requireNonNull(settings, "settings");
    }

    public Settings settings() {
        return settings;
    }

    @Override
    public Strategy strategy() {
        return Strategy.CROSS_OPT;
    }

    /** The geometry of the δ step (Eq. 16). */
    public enum StepRule {
        /**
         * Exponentiated subgradient (entropic mirror descent on the simplex):
         * {@code δ_i ← δ_i exp(ν (T_i − M)) / Z}, ν = α/M̂; the normaliser Z is the projection
         * and absorbs M. The default.
         */
        EXPONENTIATED,
        /**
         * Euclidean projected step scaled per swarm by {@code D_i = R^i/ΣR}:
         * {@code δ_i ← [δ_i + ν D_i (T_i − M)]^+} with M such that Σδ = 1.
         */
        SCALED,
        /** The paper's single scalar step for every swarm: as SCALED with {@code D_i = 1/n}. */
        SCALAR
    }

    /** How the bandwidth price δ_0 follows its constraint Σ u_i = u_s. */
    public enum PriceUpdate {
        /**
         * Eq. 15: a subgradient step on δ_0, Newton-scaled (see the class comment); the plan is
         * u* scaled to spend u_s. The default.
         */
        SUBGRADIENT,
        /** δ_0 solved exactly every iteration (Newton on a piecewise-linear function), so u* spends u_s. */
        LINE_SEARCH
    }

    /** Where a solve without a warm start begins. */
    public enum ColdStart {
        /** δ_i = 1/n over unfinished swarms: neutral. The default. */
        UNIFORM,
        /**
         * δ_i ∝ R^i: the dual optimum if every swarm were a bottleneck. Its first plan is already
         * the exact optimum (the exact solver's one-dimensional search in disguise), so the
         * iterations only shrink the gap. For measurements.
         */
        REMAINING_BYTES
    }

    /**
     * @param tolerance     ε: stop when the best plan's M̂ and the best dual value ĝ satisfy
     *                      {@code M̂ − ĝ ≤ ε ĝ}, which proves {@code M̂ ≤ (1 + ε) M*} (in (0, 1))
     * @param maxIterations stop after this many iterations at the latest (≥ 1)
     * @param stepScale     α in ν_t = α / M̂_t (&gt; 0)
     * @param stepRule      the geometry of the δ step
     * @param priceUpdate   how δ_0 is updated
     * @param priceStep     β of the δ_0 step (&gt; 0; used with {@link PriceUpdate#SUBGRADIENT})
     * @param coldStart     where a solve without warm start begins
     * @param warmMix       λ: a warm start is {@code (1 − λ) δ_previous + λ δ_cold}, so that no
     *                      swarm starts at weight 0 (in [0, 1])
     * @param repairAfter   run the complementary-slackness repair when the best plan has not
     *                      improved for this many iterations (≥ 2; 0: never)
     */
    public record Settings(double tolerance, int maxIterations, double stepScale, StepRule stepRule,
                           PriceUpdate priceUpdate, double priceStep, ColdStart coldStart, double warmMix,
                           int repairAfter) {

        /**
         * The measured choice: ε = 0.5 %, at most 500 iterations, exponentiated steps with α = 2,
         * the Newton-scaled Eq. 15 price step with β = 1, uniform cold start, warm starts mixed
         * with λ = 10 % of it, complementary-slackness repair after 3 iterations without progress.
         */
        public static final Settings DEFAULT = new Settings(0.005, 500, 2.0, StepRule.EXPONENTIATED,
                PriceUpdate.SUBGRADIENT, 1.0, ColdStart.UNIFORM, 0.1, 3);

        public Settings {
            if (!(tolerance > 0 && tolerance < 1)) {
                throw new IllegalArgumentException("tolerance must be in (0, 1), got " + tolerance);
            }
            if (maxIterations < 1) {
                throw new IllegalArgumentException("maxIterations must be at least 1, got " + maxIterations);
            }
            if (!(stepScale > 0 && Double.isFinite(stepScale))) {
                throw new IllegalArgumentException("stepScale must be positive, got " + stepScale);
            }
            if (!(priceStep > 0 && Double.isFinite(priceStep))) {
                throw new IllegalArgumentException("priceStep must be positive, got " + priceStep);
            }
            if (!(warmMix >= 0 && warmMix <= 1)) {
                throw new IllegalArgumentException("warmMix must be in [0, 1], got " + warmMix);
            }
            if (repairAfter < 0 || repairAfter == 1) {
                throw new IllegalArgumentException("repairAfter must be 0 (never) or at least 2, got " + repairAfter);
            }
            Objects.requireNonNull(stepRule, "stepRule");
            Objects.requireNonNull(priceUpdate, "priceUpdate");
            Objects.requireNonNull(coldStart, "coldStart");
        }

        public Settings withTolerance(double v) {
            return new Settings(v, maxIterations, stepScale, stepRule, priceUpdate, priceStep,
                    coldStart, warmMix, repairAfter);
        }

        public Settings withMaxIterations(int v) {
            return new Settings(tolerance, v, stepScale, stepRule, priceUpdate, priceStep,
                    coldStart, warmMix, repairAfter);
        }

        public Settings withStepScale(double v) {
            return new Settings(tolerance, maxIterations, v, stepRule, priceUpdate, priceStep,
                    coldStart, warmMix, repairAfter);
        }

        public Settings withStepRule(StepRule v) {
            return new Settings(tolerance, maxIterations, stepScale, v, priceUpdate, priceStep,
                    coldStart, warmMix, repairAfter);
        }

        public Settings withPriceUpdate(PriceUpdate v) {
            return new Settings(tolerance, maxIterations, stepScale, stepRule, v, priceStep,
                    coldStart, warmMix, repairAfter);
        }

        public Settings withPriceStep(double v) {
            return new Settings(tolerance, maxIterations, stepScale, stepRule, priceUpdate, v,
                    coldStart, warmMix, repairAfter);
        }

        public Settings withColdStart(ColdStart v) {
            return new Settings(tolerance, maxIterations, stepScale, stepRule, priceUpdate, priceStep,
                    v, warmMix, repairAfter);
        }

        public Settings withRepairAfter(int v) {
            return new Settings(tolerance, maxIterations, stepScale, stepRule, priceUpdate, priceStep,
                    coldStart, warmMix, v);
        }

        public Settings withWarmMix(double v) {
            return new Settings(tolerance, maxIterations, stepScale, stepRule, priceUpdate, priceStep,
                    coldStart, v, repairAfter);
        }
    }

    @Override
    public AllocationSolution solve(AllocationProblem problem, AllocationSolution warmStart) {
        long start = System.nanoTime();
        double[] rAll = problem.remaining();
        double[] pAll = problem.peerUpload();
        double us = problem.serverUploadRate();
        int n = rAll.length;
        if (us == 0) {
            return Solutions.solution(Strategy.CROSS_OPT, problem, new double[n], Double.POSITIVE_INFINITY, 0, start);
        }
        // compact the unfinished swarms (R > 0): only they take part
        int m = 0;
        for (double r : rAll) {
            if (r > 0) {
                m++;
            }
        }
        if (m == 0) {
            return Solutions.solution(Strategy.CROSS_OPT, problem, Solutions.equalOverUnfinished(problem), 0, 0, start);
        }
        int[] open = new int[m];
        double[] r = new double[m];
        double[] p = new double[m];
        double sumR = 0;
        for (int i = 0, k = 0; i < n; i++) {
            if (rAll[i] > 0) {
                open[k] = i;
                r[k] = rAll[i];
                p[k] = pAll[i];
                sumR += rAll[i];
                k++;
            }
        }
        double[] delta = coldWeights(r, sumR);
        boolean warm = false;
        if (warmStart != null) {
            double[] warmDelta = warmWeights(problem, warmStart, open, r, p);
            if (warmDelta != null) {
                warm = true;
                double mix = settings.warmMix;
                for (int k = 0; k < m; k++) {
                    delta[k] = (1 - mix) * warmDelta[k] + mix * delta[k];
                }
            }
        }
        StepRule rule = settings.stepRule;
        double[] d = null;
        if (rule != StepRule.EXPONENTIATED) {
            d = new double[m];
            for (int k = 0; k < m; k++) {
                d[k] = rule == StepRule.SCALED ? r[k] / sumR : 1.0 / m;
            }
        }

        double[] a = new double[m];      // sqrt(δ_i R^i)
        double[] t = new double[m];      // T_i(u*): the subgradient of Eq. 16
        double[] best = new double[m];   // best primal plan so far
        double bestM = Double.POSITIVE_INFINITY;
        double lower = Solutions.cheapLowerBound(problem);
        double x = 0;                    // 1/sqrt(δ_0), so that u_i* = max(0, a_i x − P^i)
        int iter = 0;
        int stalled = 0;
        boolean lineSearch = settings.priceUpdate == PriceUpdate.LINE_SEARCH;
        while (iter < settings.maxIterations) {
            iter++;
            for (int k = 0; k < m; k++) {
                a[k] = Math.sqrt(delta[k] * r[k]);
            }
            if (iter == 1 || lineSearch) {
                x = spendingPrice(a, p, us);
            }
            // Eq. 13 (u*), the dual value (Eq. 14) and the subgradients of Eqs. 15-16
            double spent = 0;
            double servedP = 0;
            double g = 0;
            for (int k = 0; k < m; k++) {
                double u = a[k] * x - p[k];
                if (u > 0) {
                    servedP += p[k];
                } else {
                    u = 0;
                }
                spent += u;
                double den = p[k] + u;
                double tk = den > 0 ? r[k] / den : Double.POSITIVE_INFINITY;
                t[k] = tk;
                if (delta[k] > 0) {
                    g += delta[k] * tk;
                }
            }
            g += (spent - us) / (x * x);   // δ_0 (Σu* − u_s), δ_0 = 1/x²
            if (g > lower && g < Double.POSITIVE_INFINITY) {
                lower = g;
            }
            // primal recovery: u* scaled to spend exactly u_s
            double scale = spent > 0 ? us / spent : 0;
            double mt = 0;
            for (int k = 0; k < m; k++) {
                double u = a[k] * x - p[k];
                double den = p[k] + (u > 0 ? u * scale : 0);
                double tk = den > 0 ? r[k] / den : Double.POSITIVE_INFINITY;
                if (tk > mt) {
                    mt = tk;
                }
            }
            stalled++;
            if (mt < bestM) {
                stalled = 0;
                bestM = mt;
                for (int k = 0; k < m; k++) {
                    double u = a[k] * x - p[k];
                    best[k] = u > 0 ? u * scale : 0;
                }
            }
            if (bestM - lower <= settings.tolerance * lower || iter == settings.maxIterations) {
                break;
            }
            if ((iter == 1 && warm) || (settings.repairAfter > 0 && stalled >= settings.repairAfter)) {
                // complementary-slackness repair: a swarm that cannot finish by the proven lower
                // bound ĝ on its own peers (R > ĝ P) is (almost surely) a bottleneck, and gets at
                // least the weight KKT gives one, δ_0 R / M̂²; a multiplicative step would need
                // ~1/(α (T − M)/M) iterations per e-fold to grow it from near 0
                stalled = 0;
                double ratio = 1 / (x * x * bestM * bestM);
                double sum = 0;
                for (int k = 0; k < m; k++) {
                    if (r[k] > lower * p[k]) {
                        delta[k] = Math.max(delta[k], ratio * r[k]);
                    }
                    sum += delta[k];
                }
                for (int k = 0; k < m; k++) {
                    delta[k] /= sum;
                }
                continue;
            }
            // Eq. 15 (ascent) with a Newton-scaled step: on the served set Σu* = A x − ΣP is linear
            // in x = δ_0^(-1/2), so x (u_s + ΣP)/(Σu* + ΣP) would spend u_s exactly; β damps it,
            // and the change of x is clamped to [1/4, 4]
            if (!lineSearch) {
                double ratio = (us + servedP) / (spent + servedP);
                ratio = Math.pow(ratio, settings.priceStep);
                x *= Math.min(4, Math.max(0.25, ratio));
            }
            // Eq. 16 (ascent), T clipped, projected onto the simplex
            if (bestM == Double.POSITIVE_INFINITY) {
                continue;
            }
            double nu = settings.stepScale / bestM;
            double clip = CLIP * bestM;
            if (rule == StepRule.EXPONENTIATED) {
                double sum = 0;
                for (int k = 0; k < m; k++) {
                    double tk = t[k] < clip ? t[k] : clip;
                    delta[k] *= Math.exp(nu * (tk - bestM));
                    sum += delta[k];
                }
                for (int k = 0; k < m; k++) {
                    delta[k] /= sum;
                }
            } else {
                for (int k = 0; k < m; k++) {
                    double tk = t[k] < clip ? t[k] : clip;
                    delta[k] += nu * d[k] * tk;
                }
                project(delta, d);
            }
        }
        double[] alloc = new double[n];
        double[] dual = new double[n];
        for (int k = 0; k < m; k++) {
            alloc[open[k]] = best[k];
            dual[open[k]] = delta[k];
        }
        Solutions.absorbRounding(alloc, us);
        return Solutions.solution(Strategy.CROSS_OPT, problem, alloc, lower, iter, start, dual, 1 / (x * x));
    }

    private double[] coldWeights(double[] r, double sumR) {
        int m = r.length;
        double[] delta = new double[m];
        for (int k = 0; k < m; k++) {
            delta[k] = settings.coldStart == ColdStart.REMAINING_BYTES ? r[k] / sumR : 1.0 / m;
        }
        return delta;
    }

    /**
     * The x = 1/sqrt(δ_0) at which {@code Σ max(0, a_k x − P^k) = u_s}: Newton from the pooled
     * point, where the sum is at least u_s; monotone and exact on this piecewise-linear function.
     */
    static double spendingPrice(double[] a, double[] p, double us) {
        double sa = 0;
        double sp = 0;
        for (int k = 0; k < a.length; k++) {
            if (a[k] > 0) {
                sa += a[k];
                sp += p[k];
            }
        }
        double x = (us + sp) / sa;
        for (int step = 0; step < 100; step++) {
            double aa = 0;
            double ap = 0;
            for (int k = 0; k < a.length; k++) {
                if (a[k] * x > p[k]) {
                    aa += a[k];
                    ap += p[k];
                }
            }
            double next = (us + ap) / aa;
            if (!(next < x)) {
                break;
            }
            x = next;
        }
        return x;
    }

    /**
     * Projects y (in place) onto the simplex {δ ≥ 0, Σ δ = 1} in the metric scaled by d:
     * {@code δ_k = max(0, y_k − τ d_k)} with τ found by Newton (monotone from the left, exact).
     * Returns τ (the level M of Eq. 16 is τ/ν).
     */
    static double project(double[] y, double[] d) {
        double sy = 0;
        double sd = 0;
        for (int k = 0; k < y.length; k++) {
            sy += y[k];
            sd += d[k];
        }
        double tau = (sy - 1) / sd;
        for (int step = 0; step < 100; step++) {
            double ay = 0;
            double ad = 0;
            for (int k = 0; k < y.length; k++) {
                if (y[k] > tau * d[k]) {
                    ay += y[k];
                    ad += d[k];
                }
            }
            double next = (ay - 1) / ad;
            if (!(next > tau)) {
                break;
            }
            tau = next;
        }
        double s = 0;
        for (int k = 0; k < y.length; k++) {
            double v = y[k] - tau * d[k];
            y[k] = v > 0 ? v : 0;
            s += y[k];
        }
        if (s > 0 && s != 1) {
            for (int k = 0; k < y.length; k++) {
                y[k] /= s;
            }
        }
        return tau;
    }

    /**
     * Dual weights from a previous plan, matched by swarm id: the plan's own δ when it has them
     * (CROSS_OPT, EXACT), else from the KKT conditions {@code δ_i = δ_0 (P^i + u_s^i)² / R^i} on
     * the swarms it served (0 on the others), evaluated on the new inputs. Then complementary
     * slackness is repaired against the new inputs: a swarm that would now miss the plan's level
     * M' on its peers alone ({@code R^i > M' P^i}) must be a bottleneck, and gets at least the
     * weight KKT gives one, {@code δ_0 R^i / M'²}; without that, a multiplicative step takes
     * hundreds of iterations to grow a weight from ~0. Null when the plan tells nothing about these
     * swarms. Normalised.
     */
    private static double[] warmWeights(AllocationProblem problem, AllocationSolution plan, int[] open, double[] r,
                                        double[] p) {
        int m = open.length;
        double[] prev = new double[m];
        boolean[] known = new boolean[m];
        String[] ids = problem.ids();
        String[] planIds = plan.ids();
        double[] planDual = plan.dualWeightsOrNull();
        double[] planValues = planDual != null ? planDual : plan.allocation();
        int matched = 0;
        if (planIds == ids || Arrays.equals(planIds, ids)) {
            for (int k = 0; k < m; k++) {
                prev[k] = planValues[open[k]];
                known[k] = true;
            }
            matched = m;
        } else {
            int[] pos = new int[ids.length];
            Arrays.fill(pos, -1);
            for (int k = 0; k < m; k++) {
                pos[open[k]] = k;
            }
            for (int j = 0; j < planIds.length; j++) {
                int i = problem.indexOf(planIds[j]);
                if (i >= 0 && pos[i] >= 0) {
                    prev[pos[i]] = planValues[j];
                    known[pos[i]] = true;
                    matched++;
                }
            }
        }
        double level = plan.maxRemainingTime();
        if (matched == 0 || !(level > 0 && level < Double.POSITIVE_INFINITY)) {
            return null;
        }
        // δ_0 / M'² in the plan's normalisation (KKT weights below use δ_0 = 1)
        double ratio = (planDual != null ? plan.bandwidthPrice().orElseThrow() : 1) / (level * level);
        double[] delta = new double[m];
        double sum = 0;
        for (int k = 0; k < m; k++) {
            if (known[k] && prev[k] > 0) {
                if (planDual != null) {
                    delta[k] = prev[k];
                } else {
                    double rate = p[k] + prev[k];
                    delta[k] = rate * rate / r[k];
                }
            }
            if (r[k] > level * p[k]) {
                delta[k] = Math.max(delta[k], ratio * r[k]);
            }
            sum += delta[k];
        }
        if (!(sum > 0 && sum < Double.POSITIVE_INFINITY)) {
            return null;
        }
        for (int k = 0; k < m; k++) {
            delta[k] /= sum;
        }
        return delta;
    }
}
