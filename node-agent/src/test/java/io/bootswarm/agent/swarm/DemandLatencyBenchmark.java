package io.bootswarm.agent.swarm;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.wire.PeerWireServer;
import org.springframework.util.FileSystemUtils;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.awaitility.Awaitility.await;

/**
 * How long a demand miss waits with prefetch traffic under way against without, on the swarm of
 * {@link SwarmExchangeTest} (two agents and a seed on loopback, 8 MiB/s each): a measurement of the
 * wall clock, so not a test; the build never runs it. What makes demand independent of prefetch
 * (urgent connections, escalation) is tested on states and counts in {@link PieceFetcherTest}.
 *
 * <pre>
 * ./mvnw -q -pl node-agent -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp node-agent/target/classes:node-agent/target/test-classes:$(cat node-agent/target/cp.txt) \
 *     io.bootswarm.agent.swarm.DemandLatencyBenchmark
 * </pre>
 */
final class DemandLatencyBenchmark {

    private DemandLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        SwarmExchangeTest swarm = new SwarmExchangeTest();
        swarm.dir = Files.createTempDirectory("demand-latency");
        try {
            byte[] image = SwarmExchangeTest.image(160, 3);
            Manifest m = SwarmExchangeTest.manifest(image);
            long rate = 8L << 20; // a 256 KiB piece takes ~31 ms at this rate
            PeerWireServer seed = swarm.seed(image, m, rate);
            List<SwarmExchangeTest.Agent> agents = swarm.agents(2, m, seed, rate);

            double[] quiet = waits(agents.get(0).session(), m, 20, 1);
            SwarmSession busy = agents.get(1).session();
            swarm.closing.add(new Prefetcher(busy, new int[0], 1, true, 8, "busy").start());
            await().atMost(Duration.ofSeconds(30)).until(() -> busy.stats().piecesFetched() > 0);
            double[] loaded = waits(busy, m, 20, 2);

            System.out.printf("demand wait without prefetch traffic: p50 %.1f ms, max %.1f ms; with: p50 %.1f ms, "
                    + "max %.1f ms%n", quiet[9], quiet[19], loaded[9], loaded[19]);
        } finally {
            swarm.close();
            FileSystemUtils.deleteRecursively(swarm.dir);
        }
    }

    /** Demand-reads {@code count} random non-zero pieces one after another; the waits in ms, sorted. */
    static double[] waits(SwarmSession session, Manifest m, int count, long seed) throws IOException {
        Random r = new Random(seed);
        double[] waits = new double[count];
        int n = 0;
        while (n < count) {
            int piece = r.nextInt(m.pieceCount());
            if (m.isZero(piece) || session.have(piece) || session.inFlight(piece)) {
                continue;
            }
            long t0 = System.nanoTime();
            session.require(piece);
            waits[n++] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(waits);
        return waits;
    }
}
