package io.bootswarm.bench.harness;

import com.sun.management.OperatingSystemMXBean;
import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.agent.disk.VirtualDisk;
import io.bootswarm.agent.swarm.Announcer;
import io.bootswarm.agent.swarm.Peer;
import io.bootswarm.agent.swarm.Prefetcher;
import io.bootswarm.agent.swarm.ReferralSettings;
import io.bootswarm.agent.swarm.SwarmManager;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.agent.swarm.SwarmSettings;
import io.bootswarm.bench.model.Mode;
import io.bootswarm.bench.trace.Playback;
import io.bootswarm.bench.trace.Profile;
import io.bootswarm.bench.trace.Trace;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.time.MonotonicClock;
import io.bootswarm.common.wire.PeerAccess;
import io.bootswarm.common.wire.PeerWireServer;
import io.bootswarm.common.wire.RateLimiter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.springframework.util.unit.DataSize;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * One seed and N real agents in this JVM over loopback TCP, each agent's VM played by a
 * {@link Replayer} through the agent's {@link VirtualDisk} (the path NBD and FUSE reads take).
 *
 * <p>What is real: the seed is common's {@link PeerWireServer} serving the image file, as
 * seed-service does; each agent is node-agent's {@link SwarmManager} (its own peer wire server,
 * upload and download {@link RateLimiter}s, piece store) with a {@link SwarmSession} (demand
 * fetches on urgent connections, peers before the seed, SHA-256 verification, choking) and, in the
 * profile modes, a {@link Prefetcher} with the real window-randomized {@code PiecePicker}. What is
 * emulated: the tracker (each agent is named the seed and, in the P2P modes, a random
 * {@link HarnessConfig#maxConnections()} of the other agents, as a tracker's numWant answer), the
 * links (the agents' rate limiters, plus {@code requestLatency} per piece request) and the VM
 * (the trace's reads and think times).
 *
 * <p>In the centralized modes the agents are named only the seed, so they never exchange pieces.
 * In {@code local} there is no network: the replayers read the image file itself.
 */
public final class Harness {

    private static final InetSocketAddress LOOPBACK = new InetSocketAddress("127.0.0.1", 0);
    private static final byte[] SEED_ID = "-BSSEED-harness00000".getBytes();
    /** The seed's referral window and holders named with {@code --referrals on}: the seed-service's defaults. */
    private static final Duration REFERRAL_WINDOW = Duration.ofSeconds(60);
    private static final int REFERRAL_HOLDERS = 4;

    private Harness() {
    }

    /** Runs {@code trace} (unscaled) on every agent; see {@link #run(HarnessConfig, Trace, boolean, Consumer)}. */
    public static HarnessResult run(HarnessConfig config, Trace trace) throws IOException, InterruptedException {
        return run(config, trace, false, line -> {
        });
    }

    /**
     * Runs one experiment: builds the image for {@code trace} at the config's scale, starts the
     * seed and the agents, boots every VM at the same instant and waits until every replay ended or
     * the timeout passed; then stops everything and deletes the run's files.
     *
     * @param trace    the VM's reads, unscaled
     * @param verify   compare every byte each VM reads with the image (costs CPU: tests, not figures)
     * @param progress told a line now and then
     */
    public static HarnessResult run(HarnessConfig config, Trace trace, boolean verify, Consumer<String> progress)
            throws IOException, InterruptedException {
        return run(config, trace, verify, false, progress);
    }

    /**
     * Runs one experiment as {@link #run(HarnessConfig, Trace, boolean, Consumer)} does, optionally
     * preheated: before any VM boots, every agent fetches the profile's pieces (the config's, or the
     * trace's own) through the swarm as the agent's preheat does — prefetch priority, the config's
     * prefetch concurrency, the same capped links — and the run reports how long that took
     * ({@link HarnessResult#preheatSeconds()}, until the last agent holds every profile piece) and what the
     * seed sent for it. The VMs then boot on warm hosts; their demand misses show what the preheat did
     * not cover.
     *
     * @param preheat fetch the profile on every agent before the VMs boot (not in {@code local})
     */
    public static HarnessResult run(HarnessConfig config, Trace trace, boolean verify, boolean preheat,
                                    Consumer<String> progress) throws IOException, InterruptedException {
        if (preheat && config.mode() == Mode.LOCAL) {
            throw new IllegalArgumentException("local has no agents to preheat");
        }
        int s = config.scale();
        Trace scaled = trace.scaleBytes(s);
        int pieceSize = config.pieceSize();
        Path work = config.workDir().resolve("run-" + UUID.randomUUID());
        Files.createDirectories(work);
        List<AutoCloseable> closing = new ArrayList<>();
        AtomicLong mismatches = new AtomicLong();
        try {
            ImageFixture image = ImageFixture.create(scaled, pieceSize, work.resolve("image.raw"));
            closing.add(image);
            Manifest manifest = image.manifest();
            int n = config.peers();
            List<Agent> agents = new ArrayList<>(n);
            AtomicLong seedBytes = new AtomicLong();
            if (config.mode() != Mode.LOCAL) {
                PeerWireServer seed = new PeerWireServer(PeerWireServer.Settings.defaults(LOOPBACK)
                        .withUpload(Math.max(16, n), RateLimiter.perSecond(config.seedRate() / s)),
                        id -> id.equals(manifest.swarmId()) ? Optional.of(image.served(seedBytes::addAndGet))
                                : Optional.empty(), SEED_ID, PeerAccess.OPEN);
                if (config.referrals()) {
                    seed.referring(REFERRAL_WINDOW, REFERRAL_HOLDERS);
                }
                seed.start();
                closing.add(seed);
                agents = startAgents(config, manifest, seed.port(), work, closing);
            }
            int[] order = config.mode().prefetch() ? profileOrder(config, scaled) : new int[0];
            progress.accept(String.format(java.util.Locale.ROOT, "%s n=%d scale %d: %s", config.mode().label(), n, s,
                    scaled.describe(pieceSize)));

            double preheatSeconds = 0;
            long preheatSeed = 0;
            if (preheat) {
                int[] heat = profileOrder(config, scaled);
                long t0 = System.nanoTime();
                List<Prefetcher> heaters = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    Prefetcher p = new Prefetcher(agents.get(i).session(), heat, config.window(), false,
                            config.prefetchConcurrency(), "preheat-" + i).start();
                    heaters.add(p);
                    closing.add(p);
                }
                long until = t0 + config.timeout().toNanos();
                while (!heaters.stream().allMatch(Prefetcher::finished) && System.nanoTime() < until) {
                    Thread.sleep(20);
                }
                preheatSeconds = (System.nanoTime() - t0) / 1e9;
                preheatSeed = seedBytes.get() * s;
                heaters.forEach(Prefetcher::close);
                progress.accept(String.format(java.util.Locale.ROOT,
                        "  preheated %d pieces on %d agents in %.2f s (%s), seed sent %.1f MiB", heat.length, n,
                        preheatSeconds, heaters.stream().allMatch(Prefetcher::finished) ? "all done" : "TIMED OUT",
                        preheatSeed / 1048576.0));
            }
            List<Replayer> replayers = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Replayer.Disk disk = config.mode() == Mode.LOCAL ? image::read : agents.get(i).disk()::read;
                replayers.add(new Replayer(scaled, verify ? verifying(disk, image, mismatches) : disk));
            }
            Sampler sampler = new Sampler(agents, config.sampleEvery());
            long start = System.nanoTime() + Duration.ofMillis(200).toNanos();
            List<Thread> vms = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Replayer r = replayers.get(i);
                vms.add(Thread.ofPlatform().name("vm-" + i).start(() -> r.run(start)));
            }
            List<Prefetcher> prefetchers = new ArrayList<>();
            if (config.mode().prefetch()) {
                sleepUntil(start);
                for (int i = 0; i < n; i++) {
                    Prefetcher p = new Prefetcher(agents.get(i).session(), order, config.window(), false,
                            config.prefetchConcurrency(), "vm-" + i).start();
                    prefetchers.add(p);
                    closing.add(p);
                }
            }
            Thread samplerThread = Thread.ofPlatform().name("harness-sampler").daemon().start(() -> sampler.run(start));
            long deadline = start + config.timeout().toNanos();
            long lastReport = System.nanoTime();
            for (Thread vm : vms) {
                while (vm.isAlive()) {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        vms.forEach(Thread::interrupt);
                        break;
                    }
                    vm.join(Duration.ofNanos(Math.min(left, 1_000_000_000L)));
                    if (System.nanoTime() - lastReport > 10_000_000_000L) {
                        lastReport = System.nanoTime();
                        progress.accept(String.format(java.util.Locale.ROOT, "  %.0f s: %d of %d VMs done, %d reads",
                                (lastReport - start) / 1e9, replayers.stream().filter(Replayer::finished).count(), n,
                                replayers.stream().mapToInt(Replayer::done).sum()));
                    }
                }
            }
            for (Thread vm : vms) {
                vm.join(5000);
            }
            double wall = (System.nanoTime() - start) / 1e9;
            sampler.stop();
            samplerThread.join(2000);

            Playback memory = scaled.memoryPlayback().scaled(1, s);
            List<HarnessResult.Agent> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Replayer r = replayers.get(i);
                Playback p = r.playback().scaled(1, s);
                double normalized = r.finished() ? p.normalizedAgainst(memory) : Double.POSITIVE_INFINITY;
                if (agents.isEmpty()) {
                    out.add(new HarnessResult.Agent(p, normalized, r.finished(), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
                } else {
                    Agent a = agents.get(i);
                    SwarmSession.Stats st = a.session().stats();
                    long prefetched = prefetchers.isEmpty() ? 0 : prefetchers.get(i).prefetched();
                    out.add(new HarnessResult.Agent(p, normalized, r.finished(), a.disk().demand().misses(),
                            a.disk().demand().waitMillis(0.5), a.disk().demand().waitMillis(0.99), st.piecesFetched(),
                            st.piecesFromSeed(), st.bytesUploaded() * s, prefetched,
                            count(a.meters(), "bootswarm.agent.fetch.coalesced"),
                            count(a.meters(), "bootswarm.agent.fetch.yielded"),
                            count(a.meters(), "bootswarm.agent.fetch.coalesce.expired")));
                }
                if (r.failure() != null) {
                    progress.accept("  vm-" + i + " failed: " + r.failure());
                }
            }
            if (config.referrals() && !agents.isEmpty()) {
                progress.accept(String.format(java.util.Locale.ROOT,
                        "  referrals per VM: %.1f received, %.1f followed (piece from an agent), %.1f expired (seed)",
                        agents.stream().mapToLong(a -> count(a.meters(), "bootswarm.agent.referrals.received")).sum()
                                / (double) n,
                        agents.stream().mapToLong(a -> count(a.meters(), "bootswarm.agent.referrals.followed")).sum()
                                / (double) n,
                        agents.stream().mapToLong(a -> count(a.meters(), "bootswarm.agent.referrals.expired")).sum()
                                / (double) n));
            }
            long touched = (long) scaled.pieces(pieceSize).cardinality() * pieceSize * s;
            int furthest = replayers.stream().mapToInt(Replayer::done).max().orElse(0);
            long read = (long) scaled.head(Math.min(scaled.size(), furthest + 1)).pieces(pieceSize).cardinality()
                    * pieceSize * s;
            return new HarnessResult(config, trace.describe(HarnessConfig.PIECE), memory, out, seedBytes.get() * s,
                    touched, sampler.times(), sampler.meanRates(s), sampler.machine(), wall, mismatches.get(),
                    preheatSeconds, preheatSeed, Math.min(read, touched));
        } finally {
            for (AutoCloseable c : closing.reversed()) {
                try {
                    c.close();
                } catch (Exception e) {
                    progress.accept("  closing: " + e);
                }
            }
            deleteTree(work);
        }
    }

    /** One agent: its manager (server, store, limiters), its session of the image, the VM's disk, its meters. */
    private record Agent(SwarmManager manager, SwarmSession session, VirtualDisk disk, MeterRegistry meters) {
    }

    private static long count(MeterRegistry meters, String counter) {
        return Math.round(meters.find(counter).counters().stream().mapToDouble(Counter::count).sum());
    }

    private static List<Agent> startAgents(HarnessConfig c, Manifest manifest, int seedPort, Path work,
                                           List<AutoCloseable> closing) throws IOException, InterruptedException {
        int n = c.peers();
        long link = c.linkRate() / c.scale();
        // the agent's own connection cap is above the swarm size: the tracker's answer (numWant) sets the
        // fan-out, and the seed, which the agent sorts last, is never left out
        SwarmSettings settings = new SwarmSettings(n + 8, null, null, Duration.ofSeconds(60), 0,
                Duration.ofMillis(500), c.uploadSlots(), DataSize.ofBytes(link), DataSize.ofBytes(link),
                c.prefetchConcurrency(), c.seedPrefetchSlots(), false, c.latency());
        if (c.coalesceWait() != null) {
            settings = settings.withCoalesceWait(c.coalesceWait());
        }
        Peer seed = new Peer("127.0.0.1", seedPort, true);
        List<Peer> agentPeers = new ArrayList<>(n);
        List<SwarmManager> managers = new ArrayList<>(n);
        List<MeterRegistry> registries = new ArrayList<>(n);
        List<List<Peer>> named = new ArrayList<>(n);
        List<List<String>> namedIds = new ArrayList<>(n); // the agents' peer ids, as the tracker names them
        for (int i = 0; i < n; i++) {
            PieceStore store = PieceStore.open(work.resolve("agent-" + i), manifest.pieceSize(), Duration.ofHours(1));
            int self = i;
            MeterRegistry meters = new SimpleMeterRegistry();
            registries.add(meters);
            SwarmManager m = new SwarmManager(store, a -> new Announcer.Result(Duration.ofSeconds(5), named.get(self),
                    namedIds.get(self)), settings, LOOPBACK, id -> Optional.empty(), PeerAccess.OPEN,
                    meters, MonotonicClock.system())
                    .withReferrals(c.referrals() ? ReferralSettings.defaults() : ReferralSettings.off()).start();
            closing.add(m);
            managers.add(m);
            agentPeers.add(new Peer("127.0.0.1", m.peerPort(), false));
        }
        Random random = new Random(42);
        for (int i = 0; i < n; i++) {
            List<Peer> list = new ArrayList<>();
            if (c.mode().p2p()) {
                List<Peer> others = new ArrayList<>(agentPeers);
                others.remove(i);
                Collections.shuffle(others, random);
                list.addAll(others.subList(0, Math.min(others.size(), c.maxConnections())));
            }
            // the seed partition's ranking: every agent of the swarm, as a tracker answering numWant ≥ N names
            // them, while the agent connects only to the peers above (a smaller fan-out keeps N = 100 in one JVM)
            List<String> ids = new ArrayList<>(n - 1);
            if (c.mode().p2p()) {
                for (int j = 0; j < n; j++) {
                    if (j != i) {
                        ids.add(HexFormat.of().formatHex(managers.get(j).peerId()));
                    }
                }
            }
            namedIds.add(List.copyOf(ids));
            list.add(seed);
            named.add(List.copyOf(list));
        }
        List<Agent> agents = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            SwarmSession session = managers.get(i).session(manifest);
            VirtualDisk disk = VirtualDisk.open(manifest, managers.get(i).store(), session,
                    work.resolve("overlay-" + i), VirtualDisk.AccessListener.NONE);
            closing.add(disk);
            agents.add(new Agent(managers.get(i), session, disk, registries.get(i)));
        }
        Thread.sleep(300); // the first announces answered: every agent knows its peers before its VM boots
        return agents;
    }

    /** The prefetch order: the config's profile, or the replayed trace's own (piece indices are scale-free). */
    private static int[] profileOrder(HarnessConfig c, Trace scaled) {
        Profile p = c.profile() != null ? c.profile() : Profile.fromTraces(List.of(scaled), c.pieceSize());
        return p.order();
    }

    private static Replayer.Disk verifying(Replayer.Disk disk, ImageFixture image, AtomicLong mismatches) {
        return (offset, dst) -> {
            int from = dst.position();
            disk.read(offset, dst);
            ByteBuffer got = dst.duplicate().flip().position(from);
            ByteBuffer want = ByteBuffer.allocate(got.remaining());
            image.read(offset, want);
            want.flip();
            if (got.mismatch(want) >= 0) {
                mismatches.incrementAndGet();
            }
        };
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left = nanos - System.nanoTime();
        if (left > 0) {
            Thread.sleep(Duration.ofNanos(left));
        }
    }

    private static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    /**
     * Samples every agent's downloaded bytes and the JVM's load every interval: the download-rate
     * curves (Fig. 10) and where scaling stops (CPU, heap, threads, GC).
     */
    private static final class Sampler {
        private final List<Agent> agents;
        private final long every;
        private final List<Double> times = new ArrayList<>();
        private final List<Double> rates = new ArrayList<>();
        private final List<Double> cpu = new ArrayList<>();
        private final List<Double> systemCpu = new ArrayList<>();
        private final OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        private final long gcStart = gcMillis();
        private long heapMax;
        private int threadsMax;
        private volatile boolean stopped;

        Sampler(List<Agent> agents, Duration every) {
            this.agents = agents;
            this.every = every.toNanos();
        }

        void run(long start) {
            long[] last = new long[agents.size()];
            long lastAt = start;
            os.getProcessCpuLoad(); // the first reading is meaningless
            long next = start + every;
            while (!stopped) {
                try {
                    sleepUntil(next);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                double dt = (now - lastAt) / 1e9;
                double sum = 0;
                for (int i = 0; i < agents.size(); i++) {
                    long b = agents.get(i).session().stats().bytesFetched();
                    sum += (b - last[i]) / dt;
                    last[i] = b;
                }
                synchronized (this) {
                    times.add((now - start) / 1e9);
                    rates.add(agents.isEmpty() ? 0 : sum / agents.size());
                    cpu.add(Math.max(0, os.getProcessCpuLoad()));
                    systemCpu.add(Math.max(0, os.getCpuLoad()));
                    heapMax = Math.max(heapMax, Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory());
                    threadsMax = Math.max(threadsMax, ManagementFactory.getThreadMXBean().getThreadCount());
                }
                lastAt = now;
                next += every;
            }
        }

        void stop() {
            stopped = true;
        }

        synchronized double[] times() {
            return times.stream().mapToDouble(Double::doubleValue).toArray();
        }

        synchronized double[] meanRates(int scale) {
            return rates.stream().mapToDouble(r -> r * scale).toArray();
        }

        synchronized HarnessResult.Machine machine() {
            double mean = cpu.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            double max = cpu.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            double sys = systemCpu.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            return new HarnessResult.Machine(mean, max, sys, heapMax, threadsMax, (gcMillis() - gcStart) / 1e3,
                    Runtime.getRuntime().availableProcessors());
        }

        private static long gcMillis() {
            long sum = 0;
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                sum += Math.max(0, gc.getCollectionTime());
            }
            return sum;
        }
    }
}
