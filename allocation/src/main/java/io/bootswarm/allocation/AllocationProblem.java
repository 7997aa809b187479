package io.bootswarm.allocation;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One instance of the seed's bandwidth-allocation problem (Wu et al. §IV, Eqs. 10–11): swarms
 * {@code i = 0..n-1}, for each the bytes its peers still miss {@code R^i = Σ_j R_j^i} and the
 * upload its own peers give it {@code P^i = Σ_j u_j θ_j^i}, and the seed's total upload
 * {@code u_s} to be split into {@code u_s^i ≥ 0}, {@code Σ_i u_s^i = u_s}, so as to minimise
 * {@code M = max_i T_r^i}, {@code T_r^i = R^i / (P^i + u_s^i)} (Eq. 10).
 *
 * <p>A swarm is whatever exchanges one piece set: an image (isolated swarms, the paper's ISO) or a
 * group of pieces shared by several images (chunk-level cross-image swarms, §IV). Each swarm also
 * carries
 * <ul>
 *   <li>a <em>popularity</em>, used only by {@link Strategy#CROSS_PROP}: the number of peers still
 *       downloading from the swarm, the snapshot counterpart of the paper's request rate λ_i
 *       (by Little's law the leechers of a swarm are λ_i times its download time);</li>
 *   <li>an <em>image</em> label, used only by {@link Strategy#ISO} (equal split per image); it
 *       defaults to the swarm's own id, so that each swarm is its own image.</li>
 * </ul>
 *
 * <p>Units are the caller's as long as they agree: bytes and bytes per second give times in
 * seconds. Inputs are validated on construction (finite, non-negative, matching lengths, distinct
 * ids) and copied, so a problem is immutable and may be shared between threads. The arrays stay
 * primitive: a problem of 10^5 swarms is a few MB. Simulators that re-solve the same swarms in a
 * loop use {@link #withInputs} and {@link #withServerUploadRate}, which share the (immutable) ids.
 */
public final class AllocationProblem {

    private final String[] swarmIds;
    private final double[] remaining;
    private final double[] peerUpload;
    private final double[] popularity;
    /** image index per swarm, into {@link #imageIds}; null: every swarm is its own image */
    private final int[] imageOf;
    private final String[] imageIds;
    private final double serverUpload;
    /** built on first use by {@link #indexOf}; shared by problems with the same ids */
    private final IdIndex index;

    private AllocationProblem(String[] swarmIds, double[] remaining, double[] peerUpload, double[] popularity,
                              int[] imageOf, String[] imageIds, double serverUpload, IdIndex index) {
        this.swarmIds = swarmIds;
        this.remaining = remaining;
        this.peerUpload = peerUpload;
        this.popularity = popularity;
        this.imageOf = imageOf;
        this.imageIds = imageIds;
        this.serverUpload = serverUpload;
        this.index = index;
    }

    /**
     * A problem from per-swarm aggregates, with popularity taken as the remaining bytes (use
     * {@link #of(List, double[], double[], double[], double)} or the {@link #builder} when peer
     * counts are known) and every swarm its own image.
     *
     * @param swarmIds            distinct ids, one per swarm
     * @param remainingBytes      R^i per swarm, ≥ 0
     * @param peerUploadRates     P^i per swarm, ≥ 0
     * @param serverUploadRate    u_s, ≥ 0
     */
    public static AllocationProblem of(List<String> swarmIds, double[] remainingBytes, double[] peerUploadRates,
                                       double serverUploadRate) {
        return of(swarmIds, remainingBytes, peerUploadRates, remainingBytes, serverUploadRate);
    }

    /** A problem from per-swarm aggregates with explicit popularity; every swarm its own image. */
    public static AllocationProblem of(List<String> swarmIds, double[] remainingBytes, double[] peerUploadRates,
                                       double[] popularity, double serverUploadRate) {
        Objects.requireNonNull(swarmIds, "swarmIds");
        String[] ids = swarmIds.toArray(String[]::new);
        checkIds(ids);
        return create(ids, remainingBytes, peerUploadRates, popularity, null, null, serverUploadRate,
                new IdIndex(ids));
    }

    /** A problem from per-swarm records (the form a REST what-if request would carry). */
    public static AllocationProblem of(List<SwarmDemand> swarms, double serverUploadRate) {
        Builder b = builder(serverUploadRate);
        for (SwarmDemand s : Objects.requireNonNull(swarms, "swarms")) {
            b.addSwarm(s);
        }
        return b.build();
    }

    /** A builder that aggregates per-peer reports (R_j^i, u_j, θ_j^i) or per-swarm demands. */
    public static Builder builder(double serverUploadRate) {
        return new Builder(serverUploadRate);
    }

    private static AllocationProblem create(String[] ids, double[] remaining, double[] peerUpload, double[] popularity,
                                            int[] imageOf, String[] imageIds, double serverUpload, IdIndex index) {
        Objects.requireNonNull(remaining, "remainingBytes");
        Objects.requireNonNull(peerUpload, "peerUploadRates");
        Objects.requireNonNull(popularity, "popularity");
        int n = ids.length;
        if (n == 0) {
            throw new IllegalArgumentException("an allocation problem needs at least one swarm");
        }
        checkLength("remainingBytes", remaining, n);
        checkLength("peerUploadRates", peerUpload, n);
        checkLength("popularity", popularity, n);
        checkRate("serverUploadRate", serverUpload);
        double[] r = remaining.clone();
        double[] p = peerUpload.clone();
        double[] w = popularity.clone();
        for (int i = 0; i < n; i++) {
            checkValue("remaining bytes", ids[i], r[i]);
            checkValue("peer upload rate", ids[i], p[i]);
            checkValue("popularity", ids[i], w[i]);
        }
        return new AllocationProblem(ids, r, p, w, imageOf, imageIds, serverUpload, index);
    }

    /**
     * The same swarms (ids and images) with new per-swarm inputs: what a simulator calls every
     * step. The arrays are copied and validated; popularity null keeps the current one.
     */
    public AllocationProblem withInputs(double[] remainingBytes, double[] peerUploadRates, double[] popularity) {
        return create(swarmIds, remainingBytes, peerUploadRates, popularity == null ? this.popularity : popularity,
                imageOf, imageIds, serverUpload, index);
    }

    /** The same swarms and inputs with another total seed upload u_s. */
    public AllocationProblem withServerUploadRate(double serverUploadRate) {
        checkRate("serverUploadRate", serverUploadRate);
        return new AllocationProblem(swarmIds, remaining, peerUpload, popularity, imageOf, imageIds,
                serverUploadRate, index);
    }

    /**
     * The same problem with image labels (for {@link Strategy#ISO}): {@code images.get(i)} is
     * the image of swarm i.
     */
    public AllocationProblem withImages(List<String> images) {
        Objects.requireNonNull(images, "images");
        if (images.size() != swarmIds.length) {
            throw new IllegalArgumentException("mismatched lengths: " + swarmIds.length + " swarms but "
                    + images.size() + " image labels");
        }
        Map<String, Integer> ix = new LinkedHashMap<>();
        int[] of = new int[swarmIds.length];
        for (int i = 0; i < of.length; i++) {
            String image = images.get(i);
            if (image == null || image.isEmpty()) {
                throw new IllegalArgumentException("swarm '" + swarmIds[i] + "' has no image label");
            }
            of[i] = ix.computeIfAbsent(image, k -> ix.size());
        }
        return new AllocationProblem(swarmIds, remaining, peerUpload, popularity, of,
                ix.keySet().toArray(String[]::new), serverUpload, index);
    }

    /** Number of swarms n. */
    public int size() {
        return swarmIds.length;
    }

    public String swarmId(int i) {
        return swarmIds[i];
    }

    /** The swarm ids in problem order (an unmodifiable view). */
    public List<String> swarmIds() {
        return new ArrayView(swarmIds);
    }

    /** R^i = Σ_j R_j^i: bytes the swarm's peers still miss. */
    public double remainingBytes(int i) {
        return remaining[i];
    }

    /** P^i = Σ_j u_j θ_j^i: upload the swarm's peers give it. */
    public double peerUploadRate(int i) {
        return peerUpload[i];
    }

    /** Peers still downloading from the swarm (or the caller's popularity measure). */
    public double popularity(int i) {
        return popularity[i];
    }

    /** The image label of swarm i (its own id unless {@link #withImages} or the builder set one). */
    public String image(int i) {
        return imageOf == null ? swarmIds[i] : imageIds[imageOf[i]];
    }

    /** Number of distinct images. */
    public int imageCount() {
        return imageOf == null ? swarmIds.length : imageIds.length;
    }

    /** u_s: the seed's total upload to split. */
    public double serverUploadRate() {
        return serverUpload;
    }

    /** Σ_i R^i. */
    public double totalRemainingBytes() {
        double s = 0;
        for (double r : remaining) {
            s += r;
        }
        return s;
    }

    /** The index of a swarm id, or -1. The first call builds a hash index (shared by derived problems). */
    public int indexOf(String swarmId) {
        return index.indexOf(swarmId);
    }

    /** The swarms as records (for REST bodies and logs; allocates n records). */
    public List<SwarmDemand> demands() {
        List<SwarmDemand> out = new ArrayList<>(swarmIds.length);
        for (int i = 0; i < swarmIds.length; i++) {
            out.add(new SwarmDemand(swarmIds[i], image(i), remaining[i], peerUpload[i], popularity[i]));
        }
        return out;
    }

    // --- package-private access for the solvers (no copies) ---

    String[] ids() {
        return swarmIds;
    }

    double[] remaining() {
        return remaining;
    }

    double[] peerUpload() {
        return peerUpload;
    }

    double[] popularityArray() {
        return popularity;
    }

    /** image index per swarm, or null when every swarm is its own image */
    int[] imageIndex() {
        return imageOf;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AllocationProblem p
                && serverUpload == p.serverUpload
                && Arrays.equals(swarmIds, p.swarmIds)
                && Arrays.equals(remaining, p.remaining)
                && Arrays.equals(peerUpload, p.peerUpload)
                && Arrays.equals(popularity, p.popularity)
                && imagesEqual(p);
    }

    private boolean imagesEqual(AllocationProblem p) {
        for (int i = 0; i < swarmIds.length; i++) {
            if (!image(i).equals(p.image(i))) {
                return false;
            }
        }
        return true;
    }

    @Override
    public int hashCode() {
        return Objects.hash(Arrays.hashCode(swarmIds), Arrays.hashCode(remaining), Arrays.hashCode(peerUpload),
                Double.hashCode(serverUpload));
    }

    @Override
    public String toString() {
        return "AllocationProblem[swarms=" + swarmIds.length + ", images=" + imageCount()
                + ", remainingBytes=" + totalRemainingBytes() + ", serverUploadRate=" + serverUpload + "]";
    }

    // --- validation ---

    static void checkRate(String what, double v) {
        if (!Double.isFinite(v) || v < 0) {
            throw new IllegalArgumentException(what + " must be finite and non-negative, got " + v);
        }
    }

    private static void checkValue(String what, String swarm, double v) {
        if (Double.isNaN(v)) {
            throw new IllegalArgumentException(what + " of swarm '" + swarm + "' is NaN");
        }
        if (Double.isInfinite(v)) {
            throw new IllegalArgumentException(what + " of swarm '" + swarm + "' is infinite");
        }
        if (v < 0) {
            throw new IllegalArgumentException(what + " of swarm '" + swarm + "' is negative: " + v);
        }
    }

    private static void checkLength(String what, double[] a, int n) {
        if (a.length != n) {
            throw new IllegalArgumentException("mismatched lengths: " + n + " swarm ids but " + a.length + " " + what);
        }
    }

    private static void checkIds(String[] ids) {
        HashMap<String, Integer> seen = HashMap.newHashMap(ids.length);
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == null || ids[i].isEmpty()) {
                throw new IllegalArgumentException("swarm id " + i + " is null or empty");
            }
            Integer before = seen.putIfAbsent(ids[i], i);
            if (before != null) {
                throw new IllegalArgumentException("duplicate swarm id '" + ids[i] + "' at " + before + " and " + i);
            }
        }
    }

    /** Lazily built id → index map, shared between problems over the same ids. */
    private static final class IdIndex {
        private final String[] ids;
        private volatile HashMap<String, Integer> map;

        IdIndex(String[] ids) {
            this.ids = ids;
        }

        int indexOf(String id) {
            HashMap<String, Integer> m = map;
            if (m == null) {
                m = HashMap.newHashMap(ids.length);
                for (int i = 0; i < ids.length; i++) {
                    m.put(ids[i], i);
                }
                map = m;
            }
            Integer i = m.get(id);
            return i == null ? -1 : i;
        }
    }

    static final class ArrayView extends AbstractList<String> implements java.util.RandomAccess {
        private final String[] a;

        ArrayView(String[] a) {
            this.a = a;
        }

        @Override
        public String get(int index) {
            return a[index];
        }

        @Override
        public int size() {
            return a.length;
        }
    }

    /**
     * Aggregates inputs into a problem. Per-peer reports (what agents send) add
     * {@code R_j^i} to R^i, {@code u_j θ_j^i} to P^i and one to the popularity of every swarm
     * where the peer still misses bytes; per-swarm demands add their aggregates. Swarms keep the
     * order in which they were first seen. Not thread-safe.
     */
    public static final class Builder {
        private final double serverUpload;
        private final LinkedHashMap<String, Integer> index = new LinkedHashMap<>();
        private final List<String> images = new ArrayList<>();
        private double[] remaining = new double[16];
        private double[] peerUpload = new double[16];
        private double[] popularity = new double[16];

        private Builder(double serverUpload) {
            checkRate("serverUploadRate", serverUpload);
            this.serverUpload = serverUpload;
        }

        /** Declares a swarm and its image (for ISO); a swarm first seen in a report is its own image. */
        public Builder addSwarm(String swarmId, String imageId) {
            int i = slot(swarmId);
            if (imageId == null || imageId.isEmpty()) {
                throw new IllegalArgumentException("swarm '" + swarmId + "' has no image label");
            }
            images.set(i, imageId);
            return this;
        }

        /** Adds a swarm's aggregates (summed with anything already known about that swarm). */
        public Builder addSwarm(SwarmDemand demand) {
            Objects.requireNonNull(demand, "demand");
            int i = slot(demand.swarmId());
            if (demand.imageId() != null) {
                images.set(i, demand.imageId());
            }
            remaining[i] += demand.remainingBytes();
            peerUpload[i] += demand.peerUploadRate();
            popularity[i] += demand.popularity();
            return this;
        }

        /** Adds one peer's report (Eq. 10's R_j^i and u_j θ_j^i for each swarm it is in). */
        public Builder addPeer(PeerReport report) {
            Objects.requireNonNull(report, "report");
            for (PeerReport.SwarmShare s : report.swarms()) {
                int i = slot(s.swarmId());
                remaining[i] += s.remainingBytes();
                peerUpload[i] += report.uploadRate() * s.uploadShare();
                if (s.remainingBytes() > 0) {
                    popularity[i] += 1;
                }
            }
            return this;
        }

        public AllocationProblem build() {
            int n = index.size();
            String[] ids = index.keySet().toArray(String[]::new);
            AllocationProblem p = create(ids, Arrays.copyOf(remaining, n), Arrays.copyOf(peerUpload, n),
                    Arrays.copyOf(popularity, n), null, null, serverUpload, new IdIndex(ids));
            boolean labelled = false;
            for (int i = 0; i < n && !labelled; i++) {
                labelled = !images.get(i).equals(ids[i]);
            }
            return labelled ? p.withImages(images) : p;
        }

        private int slot(String swarmId) {
            if (swarmId == null || swarmId.isEmpty()) {
                throw new IllegalArgumentException("swarm id is null or empty");
            }
            Integer i = index.get(swarmId);
            if (i != null) {
                return i;
            }
            int n = index.size();
            if (n == remaining.length) {
                remaining = Arrays.copyOf(remaining, 2 * n);
                peerUpload = Arrays.copyOf(peerUpload, 2 * n);
                popularity = Arrays.copyOf(popularity, 2 * n);
            }
            index.put(swarmId, n);
            images.add(swarmId);
            return n;
        }
    }
}
