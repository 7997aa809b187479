package io.bootswarm.bench.sim;

import io.bootswarm.allocation.AllocationProblem;
import io.bootswarm.allocation.AllocationSolution;
import io.bootswarm.allocation.Strategy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * The cross-image experiment of Wu et al. §V (Figs. 5–7) as a fluid simulation over time: VM
 * requests arrive as a Poisson process, each for one of K images chosen by popularity (Zipf or
 * uniform); a VM downloads its image's chunks, then stays U(50, 100) s serving them and leaves.
 * Each chunk (cross-image: one swarm per distinct chunk, shared by every image holding it; ISO:
 * one per image and chunk, peers of that image only) is a swarm whose peers get, every step,
 *
 * <pre>  c_i = Σ_j u_j θ_j^i + u_s^i</pre>
 *
 * bytes per second, split among its downloaders in proportion to what each still misses (so that,
 * at constant rates, all finish the chunk at T_r^i, Eq. 10). A peer gives each swarm where some
 * peer still needs bytes a share θ_j^i of its upload u_j in proportion to what it holds of that
 * chunk. The seed's u_s is split by the strategy's solver from {@code common}'s allocation
 * package, re-solved every {@code period} seconds from the swarms' state as allocator-service
 * does (Cross-Opt warm-started from its previous plan), and between solves each swarm keeps its
 * rate: a swarm that finishes early leaves its part of the seed idle until the next plan, as the
 * seed's per-group limiters would.
 *
 * <p>Chunks are drawn as in {@code SyntheticProblems.paper}'s description: each image takes
 * {@code s = round(C·√ratio)} chunks from a shared pool of {@code max(s, round(s²/(C·ratio)))}, so
 * that two images share about {@code ratio · C} chunks, and has the rest to itself.
 */
public final class CrossImageSim {

    /** Image popularity. */
    public enum Popularity { ZIPF, UNIFORM }

    /**
     * One setting (defaults: Wu et al. §V-A).
     *
     * @param images       K (10)
     * @param chunks       chunks per image (16)
     * @param chunkBytes   64 blocks of 4 Mb: 32 MB
     * @param commonRatio  share of chunks two images have in common
     * @param popularity   how requests choose images
     * @param arrivalRate  VM requests per second (all images)
     * @param horizon      requests arrive during [0, horizon) seconds; the run goes on until all are served
     * @param peerUpload   u_j: 128 Mbps = 16 MB/s
     * @param serverUpload u_s: 5.12 Gbps = 640 MB/s
     * @param period       seconds between two solves
     * @param step         time step, seconds
     * @param seed         random seed (chunks, arrivals, images, lingering)
     */
    public record Setting(int images, int chunks, double chunkBytes, double commonRatio, Popularity popularity,
                          double arrivalRate, double horizon, double peerUpload, double serverUpload, double period,
                          double step, long seed) {

        public static Setting paper(double commonRatio, Popularity popularity, double arrivalRate, long seed) {
            return new Setting(10, 16, 32e6, commonRatio, popularity, arrivalRate, 300, 16e6, 640e6, 1, 0.1, seed);
        }

        public Setting withSeed(long s) {
            return new Setting(images, chunks, chunkBytes, commonRatio, popularity, arrivalRate, horizon, peerUpload,
                    serverUpload, period, step, s);
        }

        public Setting withHorizon(double h) {
            return new Setting(images, chunks, chunkBytes, commonRatio, popularity, arrivalRate, h, peerUpload,
                    serverUpload, period, step, seed);
        }
    }

    /**
     * @param strategy   how u_s was split
     * @param mean       mean download time over all VMs, seconds
     * @param perImage   mean download time per image (NaN for an image nobody requested)
     * @param vms        VMs served
     * @param seedBytes  bytes the seed sent
     * @param idleSeed   share of the seed's capacity that went unused (allocated to a swarm with nothing to send)
     */
    public record Result(Strategy strategy, double mean, double[] perImage, int vms, double seedBytes, double idleSeed) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%-10s mean %.2f s over %d VMs, seed %.1f GB, idle seed %.1f %%",
                    strategy.label(), mean, vms, seedBytes / 1e9, 100 * idleSeed);
        }
    }

    private static final class Vm {
        final int image;
        final double arrival;
        final double[] held;
        double done = -1;
        double leave;

        Vm(int image, double arrival, int chunks) {
            this.image = image;
            this.arrival = arrival;
            this.held = new double[chunks];
        }
    }

    private CrossImageSim() {
    }

    /** The chunk ids of each image: {@code [image][slot]}. */
    public static int[][] chunks(Setting s, SplittableRandom rnd) {
        int c = s.chunks();
        int shared = s.commonRatio() <= 0 ? 0 : (int) Math.min(c, Math.round(c * Math.sqrt(s.commonRatio())));
        int pool = shared == 0 ? 0 : (int) Math.max(shared, Math.round((double) shared * shared / (c * s.commonRatio())));
        int[][] out = new int[s.images()][c];
        int next = pool;
        for (int k = 0; k < s.images(); k++) {
            int[] ids = new int[pool];
            for (int q = 0; q < pool; q++) {
                ids[q] = q;
            }
            for (int q = 0; q < shared; q++) {
                int j = q + rnd.nextInt(pool - q);
                int t = ids[q];
                ids[q] = ids[j];
                ids[j] = t;
                out[k][q] = ids[q];
            }
            for (int q = shared; q < c; q++) {
                out[k][q] = next++;
            }
        }
        return out;
    }

    /** Runs one strategy on one setting. The same seed gives every strategy the same chunks and requests. */
    public static Result run(Setting s, Strategy strategy) {
        SplittableRandom rnd = new SplittableRandom(s.seed());
        int[][] chunkOf = chunks(s, rnd.split());
        boolean cross = strategy != Strategy.ISO;
        int c = s.chunks();
        int swarms;
        int[][] swarmOf = new int[s.images()][c];
        if (cross) {
            int max = 0;
            for (int[] row : chunkOf) {
                for (int g : row) {
                    max = Math.max(max, g + 1);
                }
            }
            swarms = max;
            for (int k = 0; k < s.images(); k++) {
                swarmOf[k] = chunkOf[k].clone();
            }
        } else {
            swarms = s.images() * c;
            for (int k = 0; k < s.images(); k++) {
                for (int q = 0; q < c; q++) {
                    swarmOf[k][q] = k * c + q;
                }
            }
        }
        List<String> ids = new ArrayList<>(swarms);
        List<String> labels = new ArrayList<>(swarms);
        for (int i = 0; i < swarms; i++) {
            ids.add("s" + i);
            labels.add(cross ? "s" + i : "image-" + (i / c));
        }
        // requests: Poisson arrivals, image by popularity, lingering U(50, 100) s
        SplittableRandom arrivals = rnd.split();
        double[] cdf = new double[s.images()];
        double total = 0;
        for (int k = 0; k < s.images(); k++) {
            total += s.popularity() == Popularity.ZIPF ? 1.0 / (k + 1) : 1;
            cdf[k] = total;
        }
        List<Vm> queue = new ArrayList<>();
        for (double t = -Math.log(1 - arrivals.nextDouble()) / s.arrivalRate(); t < s.horizon();
             t += -Math.log(1 - arrivals.nextDouble()) / s.arrivalRate()) {
            double pick = arrivals.nextDouble() * total;
            int k = 0;
            while (k < s.images() - 1 && cdf[k] <= pick) {
                k++;
            }
            Vm vm = new Vm(k, t, c);
            vm.leave = 50 + 50 * arrivals.nextDouble(); // linger, made absolute when done
            queue.add(vm);
        }
        List<Vm> live = new ArrayList<>();
        List<Vm> served = new ArrayList<>();
        int nextArrival = 0;
        double[] remaining = new double[swarms];
        double[] peerUpload = new double[swarms];
        double[] popularity = new double[swarms];
        double[] heldIn = new double[swarms];
        double[] serverRate = new double[swarms];
        double[] capacity = new double[swarms];
        AllocationProblem problem = AllocationProblem.of(ids, new double[swarms], new double[swarms], s.serverUpload());
        if (!cross) {
            problem = problem.withImages(labels);
        }
        AllocationSolution plan = null;
        double nextSolve = 0;
        double seedBytes = 0;
        double seedIdle = 0;
        double seedOffered = 0;
        double dt = s.step();
        for (double now = 0; nextArrival < queue.size() || !live.isEmpty(); now += dt) {
            while (nextArrival < queue.size() && queue.get(nextArrival).arrival <= now) {
                live.add(queue.get(nextArrival++));
            }
            // the swarms' state: R^i, popularity, and each peer's upload split θ_j^i (∝ what it holds, where needed)
            Arrays.fill(remaining, 0);
            Arrays.fill(popularity, 0);
            Arrays.fill(peerUpload, 0);
            for (Vm vm : live) {
                if (vm.done < 0) {
                    for (int q = 0; q < c; q++) {
                        double miss = s.chunkBytes() - vm.held[q];
                        if (miss > 1e-6) {
                            int i = swarmOf[vm.image][q];
                            remaining[i] += miss;
                            popularity[i]++;
                        }
                    }
                }
            }
            for (Vm vm : live) {
                double sum = 0;
                for (int q = 0; q < c; q++) {
                    int i = swarmOf[vm.image][q];
                    heldIn[q] = remaining[i] > 0 ? vm.held[q] : 0;
                    sum += heldIn[q];
                }
                if (sum > 0) {
                    for (int q = 0; q < c; q++) {
                        peerUpload[swarmOf[vm.image][q]] += s.peerUpload() * heldIn[q] / sum;
                    }
                }
            }
            if (now >= nextSolve) {
                problem = problem.withInputs(remaining, peerUpload, popularity);
                plan = strategy.solver().solve(problem, plan);
                for (int i = 0; i < swarms; i++) {
                    serverRate[i] = plan.serverRate(i);
                }
                nextSolve = now + s.period() - 1e-9;
            }
            // one step: each swarm's capacity split among its downloaders ∝ what they miss
            for (int i = 0; i < swarms; i++) {
                capacity[i] = peerUpload[i] + serverRate[i];
                double deliver = Math.min(capacity[i] * dt, remaining[i]);
                double fromSeed = capacity[i] > 0 ? deliver * serverRate[i] / capacity[i] : 0;
                seedBytes += fromSeed;
                seedOffered += serverRate[i] * dt;
                seedIdle += serverRate[i] * dt - fromSeed;
                capacity[i] = remaining[i] > 0 ? deliver / remaining[i] : 0; // fraction of each miss delivered
            }
            double end = now + dt;
            for (Vm vm : live) {
                if (vm.done >= 0) {
                    continue;
                }
                boolean complete = true;
                for (int q = 0; q < c; q++) {
                    double miss = s.chunkBytes() - vm.held[q];
                    if (miss > 1e-6) {
                        vm.held[q] += miss * capacity[swarmOf[vm.image][q]];
                        complete &= s.chunkBytes() - vm.held[q] <= 1e-6;
                    }
                }
                if (complete) {
                    vm.done = end;
                    vm.leave += end;
                    served.add(vm);
                }
            }
            live.removeIf(vm -> vm.done >= 0 && vm.leave <= end);
            if (now > s.horizon() + 1e5) {
                throw new IllegalStateException("requests not served after " + now + " s");
            }
        }
        double[] sum = new double[s.images()];
        int[] count = new int[s.images()];
        double all = 0;
        for (Vm vm : served) {
            double d = vm.done - vm.arrival;
            sum[vm.image] += d;
            count[vm.image]++;
            all += d;
        }
        double[] perImage = new double[s.images()];
        for (int k = 0; k < s.images(); k++) {
            perImage[k] = count[k] == 0 ? Double.NaN : sum[k] / count[k];
        }
        return new Result(strategy, served.isEmpty() ? Double.NaN : all / served.size(), perImage, served.size(),
                seedBytes, seedOffered > 0 ? seedIdle / seedOffered : 0);
    }
}
