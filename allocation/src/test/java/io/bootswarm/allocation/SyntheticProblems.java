package io.bootswarm.allocation;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Generated allocation problems, for tests, benchmarks and simulations: heterogeneous random
 * swarms, and the chunk-level setting of Wu et al. §V-A. Deterministic for a given seed.
 */
public final class SyntheticProblems {

    private SyntheticProblems() {
    }

    /**
     * Random swarms with heavy-tailed inputs: R^i log-normal (median 8 MB, log-sd {@code spread}),
     * 5 % of swarms finished; P^i log-normal (median 2 MB/s, log-sd 1), 2 % with no peer upload;
     * popularity uniform in 1..50; {@code u_s = serverShare · ΣP}.
     *
     * @param swarms      n ≥ 1
     * @param serverShare the seed's upload relative to the peers' (0.05: the seed is a small
     *                    extra, most swarms get nothing; 5: the seed dominates)
     * @param spread      log-sd of R^i (1.5: the 2nd and 98th percentiles are a factor of about 500 apart)
     */
    public static AllocationProblem random(int swarms, double serverShare, double spread, long seed) {
        if (swarms < 1) {
            throw new IllegalArgumentException("swarms must be at least 1");
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        List<String> ids = new ArrayList<>(swarms);
        double[] r = new double[swarms];
        double[] p = new double[swarms];
        double[] w = new double[swarms];
        double sp = 0;
        for (int i = 0; i < swarms; i++) {
            ids.add("s" + i);
            r[i] = rnd.nextDouble() < 0.05 ? 0 : 8e6 * Math.exp(spread * gaussian(rnd));
            p[i] = rnd.nextDouble() < 0.02 ? 0 : 2e6 * Math.exp(gaussian(rnd));
            w[i] = 1 + rnd.nextInt(50);
            sp += p[i];
        }
        return AllocationProblem.of(ids, r, p, w, serverShare * sp);
    }

    /** {@link #random(int, double, double, long)} with u_s = ½ ΣP and log-sd 1.5. */
    public static AllocationProblem random(int swarms, long seed) {
        return random(swarms, 0.5, 1.5, seed);
    }

    /** Image popularity in the §V experiments. */
    public enum Popularity {
        /** Zipf with exponent s: image k (1-based) is requested ∝ 1/k^s. */
        ZIPF,
        /** Every image equally. */
        UNIFORM
    }

    /**
     * The simulation setting of Wu et al. §V-A.
     *
     * @param images           K (10)
     * @param chunksPerImage   chunks per image (16)
     * @param chunkBytes       64 blocks of 4 Mb = 32,000,000 bytes
     * @param commonRatio      expected share of chunks two images have in common (0.2–0.9)
     * @param popularity       how peers choose images
     * @param zipfExponent     s of the Zipf law (1)
     * @param peers            VM instances downloading at the snapshot
     * @param peerUploadRate   u_j: 128 Mbps = 16e6 bytes/s
     * @param serverUploadRate u_s: 5.12 Gbps = 640e6 bytes/s
     * @param crossImage       chunk-level cross-image swarms (one per distinct chunk, each its own
     *                         image), or isolated swarms (one per image and chunk, labelled with
     *                         the image, for ISO)
     * @param seed             random seed
     */
    public record PaperSetting(int images, int chunksPerImage, long chunkBytes, double commonRatio,
                               Popularity popularity, double zipfExponent, int peers, double peerUploadRate,
                               double serverUploadRate, boolean crossImage, long seed) {

        public PaperSetting {
            Objects.requireNonNull(popularity, "popularity");
            if (images < 1 || chunksPerImage < 1 || chunkBytes < 1 || peers < 1) {
                throw new IllegalArgumentException("images, chunks, chunk size and peers must be positive");
            }
            if (!(commonRatio >= 0 && commonRatio <= 1)) {
                throw new IllegalArgumentException("commonRatio must be in [0, 1], got " + commonRatio);
            }
        }

        /** 10 images × 16 chunks of 32 MB, 100 peers at 128 Mbps, seed at 5.12 Gbps, cross-image. */
        public static PaperSetting of(double commonRatio, Popularity popularity, long seed) {
            return new PaperSetting(10, 16, 32_000_000L, commonRatio, popularity, 1.0, 100, 16e6, 640e6,
                    true, seed);
        }

        public PaperSetting withPeers(int v) {
            return new PaperSetting(images, chunksPerImage, chunkBytes, commonRatio, popularity, zipfExponent, v,
                    peerUploadRate, serverUploadRate, crossImage, seed);
        }

        public PaperSetting withCrossImage(boolean v) {
            return new PaperSetting(images, chunksPerImage, chunkBytes, commonRatio, popularity, zipfExponent,
                    peers, peerUploadRate, serverUploadRate, v, seed);
        }

        public PaperSetting withServerUploadRate(double v) {
            return new PaperSetting(images, chunksPerImage, chunkBytes, commonRatio, popularity, zipfExponent,
                    peers, peerUploadRate, v, crossImage, seed);
        }
    }

    /**
     * A snapshot of the §V-A setting as an allocation problem. Chunks: each image draws
     * {@code s = round(C·√ratio)} chunks at random from a shared pool of
     * {@code max(s, round(s²/(C·ratio)))} chunks and has {@code C − s} chunks of its own, so two
     * images share {@code s²/pool ≈ ratio·C} chunks on average. Peers: each chooses an image by
     * popularity, and holds of each of its image's chunks a random part (uniform in [0, 1], a
     * tenth of the chunks complete and a tenth empty); it gives each chunk's swarm a share of its
     * upload in proportion to what it holds of that chunk (Σ_i θ_j^i = 1 when it holds anything).
     * Reports are aggregated by {@link AllocationProblem#builder}: R^i, P^i, popularity = peers
     * still missing bytes of the chunk.
     */
    public static AllocationProblem paper(PaperSetting s) {
        SplittableRandom rnd = new SplittableRandom(s.seed());
        int c = s.chunksPerImage();
        int[][] chunks = new int[s.images()][c];
        int shared = s.commonRatio() == 0 ? 0 : (int) Math.min(c, Math.round(c * Math.sqrt(s.commonRatio())));
        int pool = shared == 0 ? 0
                : (int) Math.max(shared, Math.round(shared * (double) shared / (c * s.commonRatio())));
        int next = pool;
        for (int k = 0; k < s.images(); k++) {
            int[] poolIds = new int[pool];
            for (int q = 0; q < pool; q++) {
                poolIds[q] = q;
            }
            for (int q = 0; q < shared; q++) {   // partial Fisher-Yates: s distinct pool chunks
                int j = q + rnd.nextInt(pool - q);
                int tmp = poolIds[q];
                poolIds[q] = poolIds[j];
                poolIds[j] = tmp;
                chunks[k][q] = poolIds[q];
            }
            for (int q = shared; q < c; q++) {
                chunks[k][q] = next++;
            }
        }
        double[] cdf = new double[s.images()];
        double total = 0;
        for (int k = 0; k < s.images(); k++) {
            total += s.popularity() == Popularity.ZIPF ? 1 / Math.pow(k + 1, s.zipfExponent()) : 1;
            cdf[k] = total;
        }
        AllocationProblem.Builder b = AllocationProblem.builder(s.serverUploadRate());
        // declare swarms image by image so that their order is stable; isolated swarms are
        // labelled with their image (for ISO), a cross-image swarm is its own image
        for (int k = 0; k < s.images(); k++) {
            for (int q = 0; q < c; q++) {
                String id = swarmId(s, k, q, chunks);
                b.addSwarm(id, s.crossImage() ? id : "image-" + k);
            }
        }
        for (int j = 0; j < s.peers(); j++) {
            double pick = rnd.nextDouble() * total;
            int k = 0;
            while (cdf[k] <= pick && k < s.images() - 1) {
                k++;
            }
            double[] held = new double[c];
            double heldTotal = 0;
            for (int q = 0; q < c; q++) {
                double v = rnd.nextDouble();
                held[q] = v < 0.1 ? 0 : v > 0.9 ? 1 : (v - 0.1) / 0.8;
                heldTotal += held[q];
            }
            List<PeerReport.SwarmShare> shares = new ArrayList<>(c);
            for (int q = 0; q < c; q++) {
                double theta = heldTotal > 0 ? held[q] / heldTotal : 0;
                shares.add(new PeerReport.SwarmShare(swarmId(s, k, q, chunks), Math.min(1, theta),
                        s.chunkBytes() * (1 - held[q])));
            }
            b.addPeer(new PeerReport("peer-" + j, s.peerUploadRate(), shares));
        }
        return b.build();
    }

    private static String swarmId(PaperSetting s, int image, int q, int[][] chunks) {
        return s.crossImage() ? "chunk-" + chunks[image][q] : "image-" + image + "/chunk-" + q;
    }

    private static double gaussian(SplittableRandom rnd) {
        // Box–Muller, one value
        double u = 1 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }
}
