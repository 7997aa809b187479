package io.bootswarm.bench.sim;

import io.bootswarm.agent.picker.PiecePicker;
import io.bootswarm.agent.picker.SeedPartition;
import io.bootswarm.agent.picker.SwarmView;
import io.bootswarm.bench.model.Mode;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.OptionalInt;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A discrete-event simulator of a VMTorrent boot storm: N VMs start together on N hosts, each
 * replaying the {@link Workload}'s reads as the hypervisor does (a read is issued its think time
 * after the previous one completed and waits for every piece it touches, one after another), from
 * one seed holding the image. Links and transfers are a {@link FlowNetwork}; the piece choices are
 * the agent's own:
 *
 * <ul>
 *   <li><b>Prefetch</b> (the _p modes) is the real {@link PiecePicker} (window-randomized profile
 *       order with window k, then rarest first if {@code fill}) driven as the agent's
 *       {@code Prefetcher} drives it: {@code prefetchConcurrency} pieces in flight per host while it follows
 *       the profile, {@code fillConcurrency} once it fills; the pieces the host owns first while fewer than
 *       {@code seedPrefetchSlots} of them are in flight; fill takes the rarest piece a connected agent holds, and
 *       at most one slot ({@code ORPHAN_SLOTS}) holds a piece none holds.</li>
 *   <li><b>Sources</b> as {@code PieceFetcher.connectionFor} (node-agent) picks them: an agent that holds the
 *       piece among the host's {@code maxConnections} connections, least busy first (ties at
 *       random); a demand fetch goes to the seed when no agent has the piece; a prefetch goes to
 *       the seed only while no connected agent holds the piece and one of the host's
 *       {@code seedPrefetchSlots} is free, and otherwise waits until one of those changes.</li>
 *   <li><b>Demand first</b>: a read of a piece being prefetched raises that fetch to demand (its
 *       weight in link sharing becomes {@code demandWeight}, and it gives back its seed slot), as
 *       {@code Fetch.escalate} does; one fetch per piece per host.</li>
 * </ul>
 *
 * Every request pays {@code latency} (RTT + Q) before its bytes flow. What is left out: choking
 * and upload slots of the agents (least-busy choice spreads load instead), piece verification,
 * the tracker's timing (every host knows its neighbours from the start), and block-level pipelining within
 * a piece. The figure of merit is the paper's normalized runtime P⁻¹(A)/M⁻¹(A) per VM.
 *
 * <p>Partial views ({@link SimConfig.Views}, each off by default): a core of agents in every tracker answer that
 * the seed partition ranks alone (one owner per piece), BEP 11 peer exchange at connect time (more agents ranked,
 * fewer owners per piece), and seed redirects (the seed sends each piece once and points later askers down a
 * per-piece tree of the hosts that asked before them).
 */
public final class SwarmSim {

    private static final int SEED = 0;
    private static final int READ = 0;
    private static final int START = 1;
    private static final int UPLINK = 2;
    private static final int BOOT = 3;
    private static final int DEFER = 4;
    private static final int OWNER_WAIT = 5;
    /** How long a prefetch of a piece another agent owns waits for agents before it may ask the seed (the agent's pieceTimeout). */
    static final double OWNER_WAIT_SECONDS = 20;
    /** Prefetch slots that may hold a piece no connected agent has (the agent's {@code Prefetcher.ORPHAN_SLOTS}). */
    static final int ORPHAN_SLOTS = 1;

    private record Event(double time, long seq, int kind, int node, long version, Fetch fetch)
            implements Comparable<Event> {
        @Override
        public int compareTo(Event o) {
            int c = Double.compare(time, o.time);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    private static final class Fetch {
        final int host;
        final int piece;
        boolean urgent;
        boolean prefetchSlot;
        boolean seedSlot;
        boolean deferred;
        /** The demand waited for a connected agent fetching the piece (coalescing: once per fetch). */
        boolean coalesced;
        /** While it waits, it is advertised: it waits for an agent that ranks before its host. */
        boolean relaying;
        boolean waitedForOwner;
        boolean ownerWaitScheduled;
        /** A prefetch of a piece this host owns (counts against the seed prefetch slots, as the agent's owned slots). */
        boolean owned;
        /** A prefetch of a piece no connected agent held when it was chosen (the agent's orphan slot). */
        boolean orphan;
        /** The host the seed redirected this fetch to (with {@code seedFanout}), or -1. */
        int redirectParent = -1;
        int source = -1;
        FlowNetwork.Flow flow;

        Fetch(int host, int piece, boolean urgent) {
            this.host = host;
            this.piece = piece;
            this.urgent = urgent;
        }
    }

    private final Workload w;
    private final SimConfig c;
    private final int n;
    private final int pieces;
    private final FlowNetwork net;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private final long[] uplinkVersion;
    private final BitSet[] have;
    private final Fetch[][] inFlight;
    private final int[] readIdx;
    private final int[] pieceIdx;
    private final int[] waitingFor;
    private final double[] finish;
    private final double[] boot;
    private final int[] prefetching;
    private final int[] seedSlotsUsed;
    private final List<List<Fetch>> pending;
    private final int[][] sources;
    private final int[][] watchers;
    private final int[] busy;
    private final PiecePicker[] pickers;
    private final SwarmView[] views;
    private final SplittableRandom[] random;
    private final SeedPartition[] partition;
    private final String[][] knownIds;
    private final int[][] owned;
    private final int[] ownedCursor;
    private final int[] ownedInFlight;
    private final int[] orphansInFlight;
    /** Hosts outside the core (with {@code views.core}): they own no piece. */
    private final boolean[] outsideCore;
    /** Per piece, the hosts that asked the seed for it, in order (with {@code seedFanout}). */
    private final int[][] seedAsked;
    private final int[] seedAskedCount;
    /** Redirected fetches waiting for their parent to hold the piece, by parent × piece. */
    private final java.util.Map<Long, List<Fetch>> redirectWaiters = new java.util.HashMap<>();
    /** Per host, the agents it knows (connections, tracker, PEX), with {@code partitionSeed}. */
    private final int[] knownCount;
    /** Peaks over the run, any host: prefetches and owned pieces in flight at once (for tests). */
    private int peakPrefetching;
    private int peakOwned;
    /** Fill choices of a piece no connected agent holds, and those made while another such was in flight. */
    private int fillOrphans;
    private int fillOrphansBeyondSlots;
    private final boolean audit;
    private double maxUpRatio;
    private double maxDownRatio;
    private long seq;
    private long events;
    private long piecesFromSeed;
    private long escalations;
    private double now;

    private SwarmSim(Workload w, SimConfig c, boolean audit) {
        this.w = w;
        this.c = c;
        this.n = c.peers();
        this.pieces = w.pieceCount();
        this.audit = audit;
        double[] up = new double[n + 1];
        double[] down = new double[n + 1];
        up[SEED] = c.seedRate();
        down[SEED] = c.seedRate();
        for (int a = 1; a <= n; a++) {
            up[a] = c.linkRate();
            down[a] = c.linkRate();
        }
        double maxIn = c.demandWeight() + (c.mode().prefetch()
                ? Math.max(c.prefetchConcurrency(), c.fill() ? c.fillConcurrency() : 0) : 0);
        this.net = new FlowNetwork(up, down, maxIn);
        this.uplinkVersion = new long[n + 1];
        this.have = new BitSet[n + 1];
        this.inFlight = new Fetch[n + 1][];
        this.readIdx = new int[n + 1];
        this.pieceIdx = new int[n + 1];
        this.waitingFor = new int[n + 1];
        this.finish = new double[n + 1];
        this.boot = new double[n + 1];
        this.prefetching = new int[n + 1];
        this.seedSlotsUsed = new int[n + 1];
        this.pending = new ArrayList<>(n + 1);
        this.busy = new int[n + 1];
        this.pickers = new PiecePicker[n + 1];
        this.views = new SwarmView[n + 1];
        this.random = new SplittableRandom[n + 1];
        SplittableRandom master = new SplittableRandom(c.seed());
        this.sources = new int[n + 1][];
        List<List<Integer>> watching = new ArrayList<>(n + 1);
        for (int a = 0; a <= n; a++) {
            watching.add(new ArrayList<>());
            pending.add(new ArrayList<>());
            random[a] = master.split();
        }
        for (int a = 1; a <= n; a++) {
            have[a] = new BitSet(pieces);
            inFlight[a] = new Fetch[pieces];
            waitingFor[a] = -1;
            sources[a] = c.mode().p2p() ? neighbours(a, master) : new int[0];
            for (int s : sources[a]) {
                watching.get(s).add(a);
            }
            if (c.mode().prefetch()) {
                pickers[a] = new PiecePicker(w.profile(), c.window(), c.fill(), random[a]);
                views[a] = view(a);
            }
        }
        this.watchers = new int[n + 1][];
        for (int a = 0; a <= n; a++) {
            watchers[a] = watching.get(a).stream().mapToInt(Integer::intValue).toArray();
        }
        this.partition = new SeedPartition[n + 1];
        this.knownIds = new String[n + 1][];
        this.owned = new int[n + 1][];
        this.ownedCursor = new int[n + 1];
        this.ownedInFlight = new int[n + 1];
        this.orphansInFlight = new int[n + 1];
        this.outsideCore = new boolean[n + 1];
        this.knownCount = new int[n + 1];
        this.seedAsked = new int[c.views().seedFanout() > 0 ? pieces : 0][];
        this.seedAskedCount = new int[seedAsked.length];
        if (c.partitionSeed() && c.mode().p2p()) { // centralized modes know no other agent: each owns every piece
            partition(master);
        }
    }

    /**
     * Each host's seed partition: over the agents it knows (its connections, those connecting to it, the tracker's
     * answer, what PEX told it), or over the core when there is one.
     */
    private void partition(SplittableRandom master) {
        List<java.util.Set<Integer>> known = new ArrayList<>(n + 1);
        known.add(java.util.Set.of());
        for (int a = 1; a <= n; a++) {
            java.util.Set<Integer> k = new java.util.HashSet<>();
            for (int s : sources[a]) {
                k.add(s);
            }
            for (int s : watchers[a]) {
                k.add(s);
            }
            for (int s : trackerAnswer(a, master)) {
                k.add(s);
            }
            known.add(k);
        }
        for (int round = 0; round < c.views().pexRounds(); round++) {
            pexRound(known, master);
        }
        int core = Math.min(c.views().core(), n);
        java.util.TreeSet<String> coreIds = new java.util.TreeSet<>();
        for (int s = 1; s <= core; s++) {
            coreIds.add(Integer.toString(s));
        }
        for (int a = 1; a <= n; a++) {
            knownCount[a] = known.get(a).size();
            java.util.TreeSet<String> ids = new java.util.TreeSet<>();
            if (core > 0) {
                ids.addAll(coreIds);
                outsideCore[a] = a > core;
                partition[a] = SeedPartition.of(outsideCore[a] ? ids.first() : Integer.toString(a), ids);
            } else {
                known.get(a).forEach(s -> ids.add(Integer.toString(s)));
                partition[a] = SeedPartition.of(Integer.toString(a), ids);
                ids.add(Integer.toString(a));
            }
            knownIds[a] = ids.toArray(String[]::new);
            java.util.stream.IntStream order = java.util.Arrays.stream(w.profile());
            if (c.fill()) {
                order = java.util.stream.IntStream.concat(order, java.util.stream.IntStream.range(0, pieces));
            }
            int host = a;
            owned[a] = order.filter(p -> owns(host, p)).toArray();
        }
    }

    /**
     * One BEP 11 round: every host learns, from each agent it is connected to (either direction), up to
     * {@code pexMax} of that agent's connections, at random.
     */
    private void pexRound(List<java.util.Set<Integer>> known, SplittableRandom rnd) {
        List<List<Integer>> learned = new ArrayList<>(n + 1);
        learned.add(List.of());
        for (int a = 1; a <= n; a++) {
            List<Integer> got = new ArrayList<>();
            for (int s : connections(a)) {
                int[] theirs = connections(s);
                int take = Math.min(c.views().pexMax(), theirs.length);
                for (int i = 0; i < take; i++) { // partial Fisher-Yates over a copy
                    int j = i + rnd.nextInt(theirs.length - i);
                    int t = theirs[i];
                    theirs[i] = theirs[j];
                    theirs[j] = t;
                    if (theirs[i] != a) {
                        got.add(theirs[i]);
                    }
                }
            }
            learned.add(got);
        }
        for (int a = 1; a <= n; a++) {
            known.get(a).addAll(learned.get(a));
        }
    }

    /** The agents host a is connected to, either direction (a fresh array). */
    private int[] connections(int a) {
        return java.util.stream.IntStream.concat(java.util.Arrays.stream(sources[a]), java.util.Arrays.stream(watchers[a]))
                .distinct().toArray();
    }

    /** Whether host a may prefetch {@code piece} from the seed (its seed partition; every piece without one). */
    private boolean owns(int a, int piece) {
        return partition[a] == null || !outsideCore[a] && partition[a].owns(piece);
    }

    /** For tests: the agents each host knows (index 0 unused; 0 without the seed partition). */
    static int[] knownPeers(Workload w, SimConfig c) {
        return new SwarmSim(w, c, false).knownCount.clone();
    }

    /**
     * For tests, over a run: the most prefetches and owned prefetches any host had in flight at once, the fill's choices
     * of a piece no connected agent held, and how many of those were made while {@code ORPHAN_SLOTS} such were in
     * flight already ({@code [prefetches, owned, fill orphans, fill orphans beyond the slots]}).
     */
    static int[] prefetchPeaks(Workload w, SimConfig c) {
        SwarmSim sim = new SwarmSim(w, c, false);
        sim.run();
        return new int[] {sim.peakPrefetching, sim.peakOwned, sim.fillOrphans, sim.fillOrphansBeyondSlots};
    }

    /** For tests: per piece, how many hosts own it (may prefetch it from the seed). */
    static int[] owners(Workload w, SimConfig c) {
        SwarmSim sim = new SwarmSim(w, c, false);
        int[] count = new int[sim.pieces];
        for (int a = 1; a <= sim.n; a++) {
            for (int p = 0; p < sim.pieces; p++) {
                count[p] += sim.owns(a, p) ? 1 : 0;
            }
        }
        return count;
    }

    /** Runs one boot storm. */
    public static SimResult run(Workload w, SimConfig c) {
        return new SwarmSim(w, c, false).run();
    }

    /**
     * Runs one boot storm checking after every event that no link carries more than its capacity
     * (slow: O(flows) per event; for tests at small N).
     */
    public static SimResult runAudited(Workload w, SimConfig c) {
        return new SwarmSim(w, c, true).run();
    }

    private int[] neighbours(int a, SplittableRandom rnd) {
        int k = Math.min(c.maxConnections(), n - 1);
        int[] others = new int[n - 1];
        for (int i = 0, v = 1; v <= n; v++) {
            if (v != a) {
                others[i++] = v;
            }
        }
        for (int i = 0; i < k; i++) { // partial Fisher-Yates
            int j = i + rnd.nextInt(others.length - i);
            int t = others[i];
            others[i] = others[j];
            others[j] = t;
        }
        return java.util.Arrays.copyOf(others, k);
    }

    /** The tracker's answer to host a: its connections and numWant − connections other random agents. */
    private int[] trackerAnswer(int a, SplittableRandom rnd) {
        int want = Math.min(c.trackerPeers(), n - 1);
        java.util.Set<Integer> named = new java.util.HashSet<>();
        for (int s : sources[a]) {
            named.add(s);
        }
        for (int s = 1; s <= Math.min(c.views().core(), n); s++) {
            if (s != a) {
                named.add(s);
            }
        }
        if (want >= n - 1) {
            for (int s = 1; s <= n; s++) {
                if (s != a) {
                    named.add(s);
                }
            }
        }
        while (named.size() < want) {
            int s = 1 + rnd.nextInt(n);
            if (s != a) {
                named.add(s);
            }
        }
        return named.stream().mapToInt(Integer::intValue).toArray();
    }

    private SwarmView view(int a) {
        return new SwarmView() {
            @Override
            public int pieceCount() {
                return pieces;
            }

            @Override
            public boolean have(int piece) {
                return have[a].get(piece);
            }

            @Override
            public boolean inFlight(int piece) {
                return inFlight[a][piece] != null;
            }

            @Override
            public int holders(int piece) {
                int h = 0;
                for (int s : sources[a]) {
                    if (have[s].get(piece)) {
                        h++;
                    }
                }
                return h;
            }
        };
    }

    private SimResult run() {
        long wall = System.nanoTime();
        if (c.mode() == Mode.LOCAL) {
            double[] norm = new double[n];
            java.util.Arrays.fill(norm, 1);
            return new SimResult(c, w.name(), w.ideal(), norm, 0, 0, 0, 0, 0, 0, 0, 0, 0);
        }
        for (int a = 1; a <= n; a++) {
            boot[a] = c.startSpread() > 0 ? random[a].nextDouble() * c.startSpread() : 0;
            schedule(boot[a], BOOT, a, 0, null);
        }
        reschedule();
        while (!queue.isEmpty()) {
            Event e = queue.poll();
            now = e.time();
            switch (e.kind()) {
                case READ -> proceed(e.node());
                case BOOT -> {
                    schedule(now + (w.reads() == 0 ? 0 : w.think()[0]), READ, e.node(), 0, null);
                    pumpPrefetch(e.node());
                }
                case START -> startFlow(e.fetch());
                case OWNER_WAIT -> {
                    Fetch f = e.fetch();
                    f.waitedForOwner = true;
                    if (f.source < 0 && !f.urgent && inFlight[e.node()][f.piece] == f
                            && seedSlotsUsed[e.node()] < c.seedPrefetchSlots()) {
                        pending.get(e.node()).remove(f);
                        assign(f);
                    }
                }
                case DEFER -> {
                    if (e.fetch().source < 0 && inFlight[e.node()][e.fetch().piece] == e.fetch()) {
                        toSeed(e.fetch());
                    }
                }
                case UPLINK -> {
                    if (e.version() != uplinkVersion[e.node()]) {
                        continue;
                    }
                    for (FlowNetwork.Flow f : net.complete(now, e.node())) {
                        arrived((Fetch) f.tag);
                    }
                    uplinkVersion[e.node()]++; // its next completion is queued again below
                    net.drainChanged(this::requeue);
                    requeue(e.node());
                }
                default -> throw new IllegalStateException();
            }
            events++;
            reschedule();
            if (audit) {
                audit();
            }
        }
        double[] norm = new double[n];
        double ideal = w.ideal() > 0 ? w.ideal() : 1;
        for (int a = 1; a <= n; a++) {
            if (readIdx[a] < w.reads()) {
                throw new IllegalStateException("VM " + a + " did not finish: read " + readIdx[a] + " of " + w.reads());
            }
            norm[a - 1] = w.ideal() > 0 ? (finish[a] - boot[a]) / ideal : 1;
        }
        double agentUp = 0;
        double down = 0;
        for (int a = 1; a <= n; a++) {
            agentUp += net.uploaded(a);
            down += net.downloaded(a);
        }
        return new SimResult(c, w.name(), w.ideal(), norm, net.uploaded(SEED), agentUp, down, net.completedFlows(),
                piecesFromSeed, escalations, events, now, (System.nanoTime() - wall) / 1e9,
                maxUpRatio, maxDownRatio);
    }

    private void audit() {
        for (int v = 0; v <= n; v++) {
            maxUpRatio = Math.max(maxUpRatio, net.outRate(v) / net.uplink(v));
            maxDownRatio = Math.max(maxDownRatio, net.inRate(v) / net.downlink(v));
        }
    }

    private void schedule(double t, int kind, int node, long version, Fetch f) {
        queue.add(new Event(t, seq++, kind, node, version, f));
    }

    private void reschedule() {
        net.drainChanged(this::requeue);
    }

    private void requeue(int u) {
        long v = ++uplinkVersion[u];
        double t = net.nextCompletion(u);
        if (t < Double.POSITIVE_INFINITY) {
            schedule(Math.max(t, now), UPLINK, u, v, null);
        }
    }

    /** The VM of host a goes on with its reads until one needs a missing piece or the workload ends. */
    private void proceed(int a) {
        while (readIdx[a] < w.reads()) {
            int[] need = w.readPieces()[readIdx[a]];
            while (pieceIdx[a] < need.length && have[a].get(need[pieceIdx[a]])) {
                pieceIdx[a]++;
            }
            if (pieceIdx[a] < need.length) {
                int p = need[pieceIdx[a]];
                waitingFor[a] = p;
                demand(a, p);
                return;
            }
            waitingFor[a] = -1;
            readIdx[a]++;
            pieceIdx[a] = 0;
            if (readIdx[a] == w.reads()) {
                finish[a] = now;
                return;
            }
            double think = w.think()[readIdx[a]];
            if (think > 0) {
                schedule(now + think, READ, a, 0, null);
                return;
            }
        }
    }

    private void demand(int a, int p) {
        Fetch f = inFlight[a][p];
        if (f == null) {
            f = new Fetch(a, p, true);
            inFlight[a][p] = f;
            assign(f);
            return;
        }
        if (f.urgent) {
            return;
        }
        f.urgent = true;
        escalations++;
        if (f.source < 0) {
            pending.get(a).remove(f);
            assign(f);
            return;
        }
        if (f.seedSlot) {
            f.seedSlot = false;
            seedSlotsUsed[a]--;
            retryPending(a);
        }
        if (f.flow != null) {
            net.reweight(now, f.flow, c.demandWeight());
        }
    }

    private void pumpPrefetch(int a) {
        if (pickers[a] == null) {
            return;
        }
        int slots = c.fill() && pickers[a].profileExhausted(views[a]) ? c.fillConcurrency() : c.prefetchConcurrency();
        while (partition[a] != null && prefetching[a] < slots && ownedInFlight[a] < c.seedPrefetchSlots()) {
            int[] mine = owned[a];
            while (ownedCursor[a] < mine.length && (have[a].get(mine[ownedCursor[a]])
                    || inFlight[a][mine[ownedCursor[a]]] != null)) {
                ownedCursor[a]++;
            }
            if (ownedCursor[a] == mine.length) {
                break;
            }
            Fetch f = new Fetch(a, mine[ownedCursor[a]], false);
            f.prefetchSlot = true;
            f.owned = true;
            ownedInFlight[a]++;
            prefetching[a]++;
            inFlight[a][f.piece] = f;
            peak(a);
            assign(f);
        }
        while (prefetching[a] < slots) {
            boolean filling = c.fill() && pickers[a].profileExhausted(views[a]);
            OptionalInt next = pickers[a].next(views[a], orphansInFlight[a] < ORPHAN_SLOTS);
            if (next.isEmpty()) {
                return;
            }
            Fetch f = new Fetch(a, next.getAsInt(), false);
            f.prefetchSlot = true;
            f.orphan = views[a].holders(f.piece) == 0;
            if (f.orphan && filling) {
                fillOrphans++;
                fillOrphansBeyondSlots += orphansInFlight[a] >= ORPHAN_SLOTS ? 1 : 0;
            }
            if (f.orphan) {
                orphansInFlight[a]++;
            }
            prefetching[a]++;
            inFlight[a][f.piece] = f;
            peak(a);
            assign(f);
            if (prefetching[a] >= slots && !filling) {
                slots = c.fill() && pickers[a].profileExhausted(views[a]) ? c.fillConcurrency() : c.prefetchConcurrency();
            }
        }
    }

    private void peak(int a) {
        peakPrefetching = Math.max(peakPrefetching, prefetching[a]);
        peakOwned = Math.max(peakOwned, ownedInFlight[a]);
    }

    /** Chooses f's source, or parks a prefetch that may not use the seed now. */
    private void assign(Fetch f) {
        int a = f.host;
        int best = -1;
        int ties = 0;
        for (int s : sources[a]) {
            if (!have[s].get(f.piece)) {
                continue;
            }
            if (best < 0 || busy[s] < busy[best]) {
                best = s;
                ties = 1;
            } else if (busy[s] == busy[best] && random[a].nextInt(++ties) == 0) {
                best = s;
            }
        }
        if (best >= 0) {
            go(f, best);
        } else if (f.urgent) {
            if (c.deferDemand() && partition[a] != null && !f.deferred && deferToOwner(f)) {
                return;
            }
            if (c.coalesceWait() > 0 && !f.coalesced && neighbourFetching(a, f.piece)) {
                f.coalesced = true; // served by the first connected agent that gets it (arrived), else the seed
                f.relaying = relays(a, f.piece);
                schedule(now + c.coalesceWait(), DEFER, a, 0, f);
                return;
            }
            toSeed(f);
        } else if (f.redirectParent >= 0) {
            return; // waits for the host the seed sent it to
        } else if (seedSlotsUsed[a] < c.seedPrefetchSlots() && (f.waitedForOwner || owns(a, f.piece))) {
            f.seedSlot = true;
            seedSlotsUsed[a]++;
            toSeed(f);
        } else {
            if (partition[a] != null && !f.ownerWaitScheduled && !owns(a, f.piece)) {
                f.ownerWaitScheduled = true;
                schedule(now + OWNER_WAIT_SECONDS, OWNER_WAIT, a, 0, f);
            }
            pending.get(a).add(f);
        }
    }

    /**
     * Asks the seed for f's piece. With {@code seedFanout}, the seed sends each piece once: the i-th host after the
     * first to ask is sent to the ⌊(i − 1) / fanout⌋-th that asked, and fetches from it once it holds the piece (its
     * seed prefetch slot is given back: it is a fetch from an agent now).
     */
    private void toSeed(Fetch f) {
        int fanout = c.views().seedFanout();
        if (fanout == 0) {
            go(f, SEED);
            return;
        }
        if (f.redirectParent >= 0) {
            return;
        }
        int p = f.piece;
        int i = seedAskedCount[p];
        if (seedAsked[p] == null || i == seedAsked[p].length) {
            seedAsked[p] = seedAsked[p] == null ? new int[4] : java.util.Arrays.copyOf(seedAsked[p], 2 * i);
        }
        seedAsked[p][seedAskedCount[p]++] = f.host;
        if (i == 0) {
            go(f, SEED);
            return;
        }
        int parent = seedAsked[p][(i - 1) / fanout];
        f.redirectParent = parent;
        if (f.seedSlot) {
            f.seedSlot = false;
            seedSlotsUsed[f.host]--;
        }
        if (have[parent].get(p)) {
            go(f, parent);
        } else {
            redirectWaiters.computeIfAbsent((long) parent * pieces + p, k -> new ArrayList<>()).add(f);
        }
        retryPending(f.host);
    }

    /**
     * A demand for a piece no connected agent holds waits for the piece's owner (in this host's
     * ranking) if it is connected and fetching the piece, for at most the time its copy should take.
     */
    private boolean deferToOwner(Fetch f) {
        int a = f.host;
        int owner = Integer.parseInt(knownIds[a][partition[a].ownerRank(f.piece)]);
        if (owner == a || inFlight[owner][f.piece] == null) {
            return false;
        }
        boolean connected = false;
        for (int s : sources[a]) {
            connected |= s == owner;
        }
        if (!connected) {
            return false;
        }
        f.deferred = true;
        schedule(now + 2 * (c.latency() + w.pieceBytes() / c.linkRate()), DEFER, a, 0, f);
        return true;
    }

    /**
     * Whether a connected agent of host a advertises {@code piece}: it has a request for it out to the seed, or it is
     * waiting for an agent that advertises it and ranks before it (the agent's relay; hosts rank by index here).
     */
    private boolean neighbourFetching(int a, int piece) {
        for (int s : sources[a]) {
            Fetch g = inFlight[s][piece];
            if (g != null && (g.source == SEED || g.relaying)) {
                return true;
            }
        }
        return false;
    }

    private boolean relays(int a, int piece) {
        for (int s : sources[a]) {
            Fetch g = inFlight[s][piece];
            if (s < a && g != null && (g.source == SEED || g.relaying)) {
                return true;
            }
        }
        return false;
    }

    private void go(Fetch f, int source) {
        f.source = source;
        f.relaying = false;
        busy[source]++;
        if (c.latency() > 0) {
            schedule(now + c.latency(), START, f.host, 0, f);
        } else {
            startFlow(f);
        }
    }

    private void startFlow(Fetch f) {
        f.flow = net.start(now, f.source, f.host, w.pieceBytes(), f.urgent ? c.demandWeight() : 1, f);
    }

    private void arrived(Fetch f) {
        int a = f.host;
        int p = f.piece;
        busy[f.source]--;
        if (f.source == SEED) {
            piecesFromSeed++;
        }
        inFlight[a][p] = null;
        have[a].set(p);
        if (f.prefetchSlot) {
            prefetching[a]--;
        }
        if (f.owned) {
            ownedInFlight[a]--;
        }
        if (f.orphan) {
            orphansInFlight[a]--;
        }
        if (f.seedSlot) {
            seedSlotsUsed[a]--;
            retryPending(a);
        }
        for (int y : watchers[a]) {
            Fetch g = inFlight[y][p];
            if (g != null && g.source < 0) {
                pending.get(y).remove(g);
                assign(g);
            }
        }
        List<Fetch> redirected = redirectWaiters.isEmpty() ? null : redirectWaiters.remove((long) a * pieces + p);
        if (redirected != null) {
            for (Fetch g : redirected) {
                if (g.source < 0 && inFlight[g.host][p] == g) {
                    go(g, a);
                }
            }
        }
        if (waitingFor[a] == p) {
            proceed(a);
        }
        pumpPrefetch(a);
    }

    private void retryPending(int a) {
        List<Fetch> waiting = pending.get(a);
        if (waiting.isEmpty()) {
            return;
        }
        List<Fetch> again = new ArrayList<>(waiting);
        waiting.clear();
        for (Fetch f : again) {
            assign(f);
        }
    }
}
