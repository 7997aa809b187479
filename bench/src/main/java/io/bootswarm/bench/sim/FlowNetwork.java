package io.bootswarm.bench.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.IntConsumer;

/**
 * Links as capacities, transfers as fluid flows: node {@code v} has an uplink of {@code up[v]} and
 * a downlink of {@code down[v]} bytes per second, and a flow f of weight w_f from u to d runs at
 *
 * <pre>  r_f = w_f · min(U_u / W_u, D_d / W_d)</pre>
 *
 * where W_u and W_d are the summed weights of the flows on u's uplink and d's downlink. This is
 * weighted fair sharing per link, each flow held to the smaller of its two shares: the sum of the
 * rates on any uplink is at most U_u and on any downlink at most D_d (both shares add up to the
 * capacity), so rate caps always hold. It is not max-min fair — capacity a flow cannot use because
 * the other end holds it back is not handed to the others — which errs towards slower transfers
 * where one end is far busier than the other. That is the case this simulator is about (many
 * peers pulling from one seed), where every flow of the seed is held to the seed's share and the
 * rule is exact; it is also how a TCP sender with one rate limiter shared by its connections (the
 * agents' and the seed's upload limiter) behaves to first order. Weights let demand fetches go
 * before prefetches, as the agents' urgent connections do.
 *
 * <p><b>Why this is fast.</b> Re-rating every flow of a link each time a flow starts or ends
 * would cost O(flows at the seed) per event, O(N²·pieces) per run. Instead an uplink with
 * {@code U_u / W_u ≤ D_min / Wmax_down} — <em>crowded</em>: its share per unit weight is no more
 * than any downlink's can be, since no downlink carries more than {@code maxDownWeight} — gives
 * every flow exactly its uplink share, so all its flows advance together: a virtual clock V_u
 * (bytes per unit weight served so far) and each flow's finishing value of it, kept sorted, make
 * a start or end O(log n). Other uplinks (few flows by definition) rate their flows one by one.
 *
 * <p>Times are doubles in seconds; the network does not keep time itself: every call passes
 * {@code now}, non-decreasing. Completions are reported through {@link #nextCompletion} and
 * {@link #complete}; the caller runs the event loop.
 */
public final class FlowNetwork {

    /** One transfer. Fields are the network's; read {@link #bytes}, {@link #src}, {@link #dst}, {@link #tag}. */
    public static final class Flow {
        final long id;
        public final int src;
        public final int dst;
        public final double bytes;
        public final Object tag;
        double weight;
        boolean active;
        // individually rated (uplink not crowded)
        double remaining;
        double last;
        double rate;
        // crowded uplink: finishing value of the uplink's virtual clock
        double vEnd;

        Flow(long id, int src, int dst, double bytes, double weight, Object tag) {
            this.id = id;
            this.src = src;
            this.dst = dst;
            this.bytes = bytes;
            this.weight = weight;
            this.tag = tag;
            this.remaining = bytes;
        }

        public double weight() {
            return weight;
        }
    }

    private static final double EPS_BYTES = 1e-6;
    private static final Comparator<Flow> BY_VEND = Comparator.<Flow>comparingDouble(f -> f.vEnd)
            .thenComparingLong(f -> f.id);

    private final double[] up;
    private final double[] down;
    private final double maxDownWeight;
    private final double crowdedShare;
    private final List<List<Flow>> out;
    private final List<List<Flow>> in;
    private final double[] wOut;
    private final double[] wIn;
    private final boolean[] crowded;
    private final double[] clock;
    private final double[] clockAt;
    private final List<TreeSet<Flow>> byEnd;
    private final double[] uploaded;
    private final double[] downloaded;
    private final boolean[] dirty;
    private final int[] dirtyList;
    private int dirtyCount;
    private long nextId;
    private long completed;

    /**
     * @param up            uplink capacity per node, bytes/s (positive)
     * @param down          downlink capacity per node, bytes/s (positive)
     * @param maxDownWeight the most summed weight any downlink will carry at once (checked)
     */
    public FlowNetwork(double[] up, double[] down, double maxDownWeight) {
        if (up.length != down.length) {
            throw new IllegalArgumentException("need an uplink and a downlink per node");
        }
        double minDown = Double.POSITIVE_INFINITY;
        for (int v = 0; v < up.length; v++) {
            if (!(up[v] > 0) || !(down[v] > 0)) {
                throw new IllegalArgumentException("node " + v + " needs positive capacities");
            }
            minDown = Math.min(minDown, down[v]);
        }
        this.up = up.clone();
        this.down = down.clone();
        this.maxDownWeight = maxDownWeight;
        this.crowdedShare = minDown / maxDownWeight;
        int n = up.length;
        out = new ArrayList<>(n);
        in = new ArrayList<>(n);
        byEnd = new ArrayList<>(n);
        for (int v = 0; v < n; v++) {
            out.add(new ArrayList<>());
            in.add(new ArrayList<>());
            byEnd.add(null);
        }
        wOut = new double[n];
        wIn = new double[n];
        crowded = new boolean[n];
        clock = new double[n];
        clockAt = new double[n];
        uploaded = new double[n];
        downloaded = new double[n];
        dirty = new boolean[n];
        dirtyList = new int[n];
    }

    private void mark(int u) {
        if (!dirty[u]) {
            dirty[u] = true;
            dirtyList[dirtyCount++] = u;
        }
    }

    /**
     * Hands over the uplinks whose next completion may have moved since the last call (a flow
     * started, ended or was re-rated there), so that an event loop re-queues only those.
     */
    public void drainChanged(IntConsumer uplink) {
        while (dirtyCount > 0) {
            int u = dirtyList[--dirtyCount];
            dirty[u] = false;
            uplink.accept(u);
        }
    }

    public int nodes() {
        return up.length;
    }

    /** Starts a flow of {@code bytes} from {@code src} to {@code dst} at {@code now}. */
    public Flow start(double now, int src, int dst, double bytes, double weight, Object tag) {
        if (src == dst || !(bytes > 0) || !(weight > 0)) {
            throw new IllegalArgumentException("bad flow " + src + " -> " + dst + ", " + bytes + " bytes, weight " + weight);
        }
        Flow f = new Flow(nextId++, src, dst, bytes, weight, tag);
        add(now, f);
        return f;
    }

    /** Changes a running flow's weight (a prefetch raised to a demand fetch), keeping its progress. */
    public void reweight(double now, Flow f, double weight) {
        if (!f.active || f.weight == weight) {
            return;
        }
        remove(now, f);
        f.weight = weight;
        add(now, f);
    }

    private void add(double now, Flow f) {
        if (wIn[f.dst] + f.weight > maxDownWeight + 1e-9) {
            throw new IllegalStateException("downlink of node " + f.dst + " would carry weight " + (wIn[f.dst] + f.weight)
                    + " > " + maxDownWeight);
        }
        int u = f.src;
        settleUplink(now, u);
        f.active = true;
        out.get(u).add(f);
        in.get(f.dst).add(f);
        wOut[u] += f.weight;
        wIn[f.dst] += f.weight;
        if (crowded[u]) {
            f.vEnd = clock[u] + f.remaining / f.weight;
            byEnd.get(u).add(f);
        } else {
            f.last = now;
        }
        uplinkChanged(now, u);
        downlinkChanged(now, f.dst, u);
    }

    private void remove(double now, Flow f) {
        int u = f.src;
        settleUplink(now, u);
        if (crowded[u]) {
            byEnd.get(u).remove(f);
            f.remaining = Math.max(0, (f.vEnd - clock[u]) * f.weight);
        } else {
            settle(now, f);
        }
        f.active = false;
        out.get(u).remove(f);
        in.get(f.dst).remove(f);
        wOut[u] = out.get(u).isEmpty() ? 0 : wOut[u] - f.weight;
        wIn[f.dst] = in.get(f.dst).isEmpty() ? 0 : wIn[f.dst] - f.weight;
        uplinkChanged(now, u);
        downlinkChanged(now, f.dst, u);
    }

    /** Stops a flow before it is done (its bytes so far are not counted as delivered). */
    public void cancel(double now, Flow f) {
        if (f.active) {
            remove(now, f);
        }
    }

    private void settle(double now, Flow f) {
        f.remaining = Math.max(0, f.remaining - f.rate * (now - f.last));
        f.last = now;
    }

    private void settleUplink(double now, int u) {
        if (crowded[u]) {
            if (wOut[u] > 0) {
                clock[u] += (now - clockAt[u]) * up[u] / wOut[u];
            }
            clockAt[u] = now;
        }
    }

    /** W_u changed: switch between crowded and individual rating if needed, re-rate individual flows. */
    private void uplinkChanged(double now, int u) {
        mark(u);
        boolean shouldCrowd = wOut[u] > 0 && up[u] / wOut[u] <= crowdedShare;
        if (shouldCrowd && !crowded[u]) {
            crowded[u] = true;
            clockAt[u] = now;
            TreeSet<Flow> set = byEnd.get(u);
            if (set == null) {
                set = new TreeSet<>(BY_VEND);
                byEnd.set(u, set);
            }
            for (Flow f : out.get(u)) {
                settle(now, f);
                f.vEnd = clock[u] + f.remaining / f.weight;
                set.add(f);
            }
        } else if (!shouldCrowd && crowded[u]) {
            crowded[u] = false;
            TreeSet<Flow> set = byEnd.get(u);
            for (Flow f : set) {
                f.remaining = Math.max(0, (f.vEnd - clock[u]) * f.weight);
                f.last = now;
            }
            set.clear();
        }
        if (!crowded[u]) {
            for (Flow f : out.get(u)) {
                rerate(now, f);
            }
        }
    }

    /** W_d changed: flows into d from individually rated uplinks (except {@code done}, just re-rated) change rate. */
    private void downlinkChanged(double now, int d, int done) {
        for (Flow f : in.get(d)) {
            if (f.src != done && !crowded[f.src]) {
                rerate(now, f);
            }
        }
    }

    private void rerate(double now, Flow f) {
        mark(f.src);
        settle(now, f);
        f.rate = f.weight * Math.min(up[f.src] / wOut[f.src], down[f.dst] / wIn[f.dst]);
    }

    /** The current rate of a running flow, bytes/s. */
    public double rate(Flow f) {
        if (!f.active) {
            return 0;
        }
        return crowded[f.src] ? f.weight * up[f.src] / wOut[f.src] : f.rate;
    }

    /**
     * When the next flow will finish if nothing changes, or +∞ when none runs. Linear in the
     * individually rated flows and the crowded uplinks; callers that need it per event keep
     * their own queue through {@link #finishTime}.
     */
    public double nextCompletion() {
        double best = Double.POSITIVE_INFINITY;
        for (int u = 0; u < up.length; u++) {
            best = Math.min(best, nextCompletion(u));
        }
        return best;
    }

    /** When the next flow of uplink u finishes if nothing changes (+∞ for none). */
    public double nextCompletion(int u) {
        if (out.get(u).isEmpty()) {
            return Double.POSITIVE_INFINITY;
        }
        if (crowded[u]) {
            Flow f = byEnd.get(u).first();
            return clockAt[u] + Math.max(0, f.vEnd - clock[u]) * wOut[u] / up[u];
        }
        double best = Double.POSITIVE_INFINITY;
        for (Flow f : out.get(u)) {
            best = Math.min(best, finishTime(f));
        }
        return best;
    }

    /** When a running flow finishes at its current rate. */
    public double finishTime(Flow f) {
        if (crowded[f.src]) {
            return clockAt[f.src] + Math.max(0, f.vEnd - clock[f.src]) * wOut[f.src] / up[f.src];
        }
        return f.rate > 0 ? f.last + f.remaining / f.rate : Double.POSITIVE_INFINITY;
    }

    /**
     * Ends and returns the flows of uplink u that are done at {@code now} (remaining below a
     * micro-byte), counting their bytes as uploaded and downloaded.
     */
    public List<Flow> complete(double now, int u) {
        List<Flow> done = new ArrayList<>(1);
        settleUplink(now, u);
        if (crowded[u]) {
            TreeSet<Flow> set = byEnd.get(u);
            while (!set.isEmpty() && (set.first().vEnd - clock[u]) * set.first().weight <= EPS_BYTES * set.first().bytes) {
                done.add(set.first());
                set.remove(set.first()); // still active: remove() below must not find it twice
                done.getLast().vEnd = clock[u];
            }
            for (Flow f : done) {
                set.add(f);
            }
        } else {
            for (Flow f : out.get(u)) {
                double left = f.remaining - f.rate * (now - f.last);
                if (left <= EPS_BYTES * f.bytes) {
                    done.add(f);
                }
            }
        }
        for (Flow f : done) {
            remove(now, f);
            f.remaining = 0;
            uploaded[f.src] += f.bytes;
            downloaded[f.dst] += f.bytes;
            completed++;
        }
        return done;
    }

    /** Σ of the current rates on u's uplink. */
    public double outRate(int u) {
        double s = 0;
        for (Flow f : out.get(u)) {
            s += rate(f);
        }
        return s;
    }

    /** Σ of the current rates on d's downlink. */
    public double inRate(int d) {
        double s = 0;
        for (Flow f : in.get(d)) {
            s += rate(f);
        }
        return s;
    }

    /** Flows running out of u. */
    public int outFlows(int u) {
        return out.get(u).size();
    }

    public int inFlows(int d) {
        return in.get(d).size();
    }

    public boolean isCrowded(int u) {
        return crowded[u];
    }

    public double uplink(int v) {
        return up[v];
    }

    public double downlink(int v) {
        return down[v];
    }

    /** Bytes of completed flows sent by v. */
    public double uploaded(int v) {
        return uploaded[v];
    }

    /** Bytes of completed flows received by v. */
    public double downloaded(int v) {
        return downloaded[v];
    }

    public long completedFlows() {
        return completed;
    }
}
