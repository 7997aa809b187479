package io.bootswarm.fleet;

import io.bootswarm.agent.launch.Disks;
import io.bootswarm.agent.swarm.SwarmSession;
import io.bootswarm.bench.libtorrent.LibtorrentBulk;
import tools.jackson.databind.JsonNode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

/**
 * How much the seed uploads when N agents fetch one image at once, all links capped at the same
 * rate: the real seed, tracker and agents of the local fleet, over loopback. Each agent creates a
 * disk with background fill (the image's pieces, rarest first) and the run ends when every agent
 * has the whole image. Not a test: the build never runs it.
 *
 * <p>It prints the line-rate bound ({@link LibtorrentBulk#boundSeconds}: the non-zero bytes at the link rate) and the
 * share of it reached, and a timeline: the seed's upload and each agent's download rate (MB/s) per half second, the
 * instrument for where links go idle. Completion times are read in process every 100 ms. With a fourth argument {@code libtorrent}, the same run then sends a random file of the image's
 * non-zero size with libtorrent ({@code /usr/bin/python3} with Debian's {@code python3-libtorrent}; see the lab's
 * {@code libtorrent} command) over the same links and peer count, and prints its figures beside ours.
 *
 * <pre>
 * ./mvnw -q -pl fleet -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * $JAVA_HOME/bin/java --enable-native-access=ALL-UNNAMED -cp fleet/target/test-classes:fleet/target/classes:$(cat fleet/target/cp.txt) \
 *     io.bootswarm.fleet.SwarmBenchmark [agents=4] [image MiB=128] [rate per link=12500KB] [libtorrent]
 * </pre>
 */
final class SwarmBenchmark {

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 4;
        long mib = args.length > 1 ? Long.parseLong(args[1]) : 128;
        String rate = args.length > 2 ? args[2] : "12500KB";
        boolean libtorrent = args.length > 3 && args[3].equals("libtorrent");
        Duration t = Duration.ofMinutes(20);
        Path work = Files.createTempDirectory("bootswarm-swarm-bench");
        try {
            run(n, mib, rate, libtorrent, t, work);
        } finally {
            org.springframework.util.FileSystemUtils.deleteRecursively(work); // an image and N copies of it
        }
    }

    private static void run(int n, long mib, String rate, boolean libtorrent, Duration t, Path work) throws Exception {
        try (LocalFleet fleet = LocalFleet.start(LocalFleet.Options.forTests(work.resolve("fleet"))
                .withSeedProperties(Map.of("bootswarm.seed.upload-rate", rate)))) {
            FleetClient client = fleet.client();
            Path image = Tools.image(work.resolve("bench.img"), mib << 20, 21);
            JsonNode img = client.uploadImage("swarm-bench", image);
            UUID imageId = UUID.fromString(img.path("id").asString());
            List<LocalFleet.Agent> agents = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                // the agents' own heartbeat and status intervals, not the local fleet's 1 s for tests: 16 agents
                // in one process otherwise spend a share of the 2 cores on reports no operator waits for
                agents.add(fleet.startAgent("bench-" + i, Map.of("bootswarm.agent.swarm.upload-rate", rate,
                        "bootswarm.agent.swarm.download-rate", rate, "bootswarm.agent.heartbeat-interval", "5s",
                        "bootswarm.agent.status-interval", "2s")));
            }
            for (LocalFleet.Agent a : agents) {
                client.awaitHostUp(a.name(), t);
            }
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            List<UUID> disks = new ArrayList<>();
            // all at once, as a launch on N hosts does: one after another, the last starts seconds late on a busy box
            AtomicLong firstCreated = new AtomicLong(Long.MAX_VALUE);
            double[] createdAt = new double[n];
            try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                List<Future<UUID>> created = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    LocalFleet.Agent a = agents.get(i);
                    int index = i;
                    created.add(pool.submit(() -> {
                        UUID id = UUID.fromString(client.createDisk(a.apiUrl(), imageId,
                                Map.of("policy", "DEMAND", "backgroundFill", true)).path("id").asString());
                        long at = System.nanoTime() - t0;
                        createdAt[index] = at / 1e9;
                        firstCreated.accumulateAndGet(at, Math::min);
                        return id;
                    }));
                }
                for (Future<UUID> f : created) {
                    disks.add(f.get());
                }
            }
            Timeline timeline = Timeline.start(client, imageId, agents, disks, t0);
            // in process, not over the agents' REST API: polling N agents costs CPU the agents share
            FleetClient.await(() -> !Double.isNaN(timeline.lastComplete()), t, "every agent to complete");
            long cpu = os.getProcessCpuTime() - cpu0;
            timeline.stop();
            long fromSeed = 0;
            long fetched = 0;
            for (int i = 0; i < n; i++) {
                JsonNode d = client.disk(agents.get(i).apiUrl(), disks.get(i));
                if (d.path("piecesPresent").asInt() != d.path("piecesTotal").asInt()) {
                    throw new IllegalStateException("agent " + i + " reports " + d);
                }
                fromSeed += d.path("piecesFromSeed").asLong();
                fetched += d.path("piecesFetched").asLong();
            }
            // from the first disk created (its agent starts fetching then), as libtorrent's from its peers' start
            double seconds = timeline.lastComplete() - firstCreated.get() / 1e9;
            long nonZero = img.path("nonZeroBytes").asLong();
            long seedUploaded = client.image(imageId).path("uploadedBytes").asLong();
            System.out.printf("%n%d agents, image %d MiB (%d MiB non-zero), every link capped at %s/s%n", n, mib,
                    nonZero >> 20, rate);
            System.out.printf(Locale.ROOT, "the first disk was created %.1f s after the first request; ", firstCreated.get() / 1e9);
            System.out.printf("all agents complete in %.1f s after the first disk was created; seed uploaded %.2f x the non-zero bytes; "
                    + "%.0f %% of pieces came from other agents%n", seconds, (double) seedUploaded / nonZero,
                    100.0 * (fetched - fromSeed) / fetched);
            long linkRate = LibtorrentBulk.parseRate(rate);
            double bound = LibtorrentBulk.boundSeconds(nonZero, n, linkRate);
            System.out.printf(Locale.ROOT, "line-rate bound %.1f s: %.0f %% of it%n", bound, 100 * bound / seconds);
            // this process's CPU from the disks' creation to the last agent complete (seed, tracker, agents; not the
            // database): what a change in the hot path saves shows here even when a shared box makes the time noisy
            System.out.printf(Locale.ROOT, "process CPU %.1f s over the %.1f s from the first request%n", cpu / 1e9,
                    timeline.lastComplete());
            timeline.print(img.path("pieceSize").asInt(262144));
            StringBuilder createdLine = new StringBuilder("disk created at (s):");
            for (double c : createdAt) {
                createdLine.append(String.format(Locale.ROOT, " %.1f", c));
            }
            System.out.println(createdLine);
            agents.forEach(LocalFleet.Agent::close);
            if (libtorrent) {
                Path file = LibtorrentBulk.randomFile(work.resolve("libtorrent.bin"), nonZero);
                LibtorrentBulk.Result r = LibtorrentBulk.run("/usr/bin/python3", file, n, linkRate,
                        work.resolve("libtorrent"), Duration.ofMinutes(10));
                Files.delete(file);
                System.out.println(r.summary());
                System.out.printf(Locale.ROOT, "bootswarm %.1f s (%.0f %% of its bound, seed %.2f copies) against "
                                + "libtorrent %.1f s (%.0f %%, seed %.2f copies)%n", seconds, 100 * bound / seconds,
                        (double) seedUploaded / nonZero, r.lastSeconds(), r.percentOfBound(), r.seedCopies());
            }
        }
    }

    /**
     * Each agent's pieces present, read in process every 100 ms while the agents fill their disks (so that polling
     * costs no HTTP calls), and the seed's upload, asked over REST every half second.
     */
    private static final class Timeline {
        private static final int SEED_EVERY = 5;
        private final List<long[]> samples = new ArrayList<>();
        private final double[] complete;
        private final double[] firstPiece;
        private volatile boolean stopped;
        private Thread thread;

        private Timeline(int agents) {
            complete = new double[agents];
            java.util.Arrays.fill(complete, Double.NaN);
            firstPiece = new double[agents];
            java.util.Arrays.fill(firstPiece, Double.NaN);
        }

        static Timeline start(FleetClient client, UUID imageId, List<LocalFleet.Agent> agents, List<UUID> disks,
                              long t0) {
            Timeline t = new Timeline(agents.size());
            List<SwarmSession> sessions = new ArrayList<>();
            for (int i = 0; i < agents.size(); i++) {
                sessions.add(agents.get(i).context().getBean(Disks.class).find(disks.get(i)).orElseThrow().session());
            }
            t.thread = Thread.ofPlatform().daemon().start(() -> {
                long seed = 0;
                for (int tick = 0; !t.stopped; tick++) {
                    long[] row = new long[agents.size() + 2];
                    row[0] = System.nanoTime() - t0;
                    try {
                        if (tick % SEED_EVERY == 0) {
                            seed = client.image(imageId).path("uploadedBytes").asLong();
                        }
                        row[1] = seed;
                        for (int i = 0; i < sessions.size(); i++) {
                            SwarmSession.Stats st = sessions.get(i).stats();
                            row[i + 2] = st.piecesPresent();
                            if (st.piecesFetched() > 0 && Double.isNaN(t.firstPiece[i])) {
                                t.firstPiece[i] = row[0] / 1e9;
                            }
                            if (st.piecesPresent() == st.piecesTotal() && Double.isNaN(t.complete[i])) {
                                t.complete[i] = row[0] / 1e9;
                            }
                        }
                        synchronized (t.samples) {
                            t.samples.add(row);
                        }
                        Thread.sleep(100);
                    } catch (InterruptedException e) {
                        return;
                    } catch (Exception e) {
                        System.out.println("timeline: " + e);
                    }
                }
            });
            return t;
        }

        /** When the last agent had every piece, in seconds from the start; NaN until then. */
        double lastComplete() {
            double last = 0;
            for (double c : complete) {
                if (Double.isNaN(c)) {
                    return Double.NaN;
                }
                last = Math.max(last, c);
            }
            return last;
        }

        void stop() throws InterruptedException {
            stopped = true;
            thread.join();
        }

        void print(int pieceLength) {
            System.out.println("t(s)   seed upload, then each agent's download, MB/s per half second");
            long[] last = null;
            List<long[]> rows;
            synchronized (samples) {
                rows = List.copyOf(samples);
            }
            for (int r = 0; r < rows.size(); r += SEED_EVERY) {
                long[] row = rows.get(r);
                if (last != null) {
                    double dt = (row[0] - last[0]) / 1e9;
                    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%5.1f %5.1f |", row[0] / 1e9,
                            (row[1] - last[1]) / dt / 1e6));
                    for (int i = 2; i < row.length; i++) {
                        line.append(String.format(Locale.ROOT, " %5.1f", (row[i] - last[i]) * pieceLength / dt / 1e6));
                    }
                    System.out.println(line);
                }
                last = row;
            }
            StringBuilder first = new StringBuilder("first piece at (s):");
            for (double c : firstPiece) {
                first.append(String.format(Locale.ROOT, " %.1f", c));
            }
            System.out.println(first);
            StringBuilder done = new StringBuilder("complete at (s):");
            for (double c : complete) {
                done.append(String.format(Locale.ROOT, " %.1f", c));
            }
            System.out.println(done);
        }
    }
}
