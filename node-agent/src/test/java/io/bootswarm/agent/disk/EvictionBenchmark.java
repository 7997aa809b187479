package io.bootswarm.agent.disk;

import io.bootswarm.agent.disk.CacheImages.Image;
import org.springframework.util.FileSystemUtils;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.InstantSource;

/**
 * How fast the piece store evicts: a store of 1024 pieces of 256 KiB (256 MiB) past its quota
 * evicts half of them (one journal write and force, then hole punches), once where the least
 * recently used pieces fill adjacent slots (one punch) and once where every other slot's piece was
 * read since (a punch per slot): a measurement of the wall clock, so not a test; the build never
 * runs it.
 *
 * <pre>
 * ./mvnw -q -pl node-agent -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java --enable-native-access=ALL-UNNAMED -cp node-agent/target/classes:node-agent/target/test-classes:$(cat node-agent/target/cp.txt) \
 *     io.bootswarm.agent.disk.EvictionBenchmark
 * </pre>
 */
final class EvictionBenchmark {

    private static final int PIECE = 256 * 1024;
    private static final int PIECES = 1024;

    private EvictionBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        run(false);
        run(true);
    }

    private static void run(boolean scattered) throws Exception {
        Path dir = Files.createTempDirectory("eviction-benchmark");
        try {
            Image image = Image.random(PIECES, PIECE, 11);
            try (PieceStore store = PieceStore.open(dir, PIECE, Duration.ofHours(1), FileOpener.PRIVATE,
                    CacheQuota.of((long) (PIECES - 1) * PIECE, 50, Duration.ZERO), InstantSource.system())) {
                for (int i = 0; i < PIECES; i++) {
                    store.put(image.piece(i));
                }
                store.sync();
                if (scattered) {
                    for (int i = 0; i < PIECES; i += 2) {
                        image.stored(store, i);
                    }
                }
                long before = CacheImages.allocated(dir.resolve("pieces.dat"));
                long start = System.nanoTime();
                int evicted = store.evict();
                double seconds = (System.nanoTime() - start) / 1e9;
                long after = CacheImages.allocated(dir.resolve("pieces.dat"));
                System.out.printf("%s: evicted %d pieces (%d MiB) in %.1f ms: %.0f pieces/s, %.0f MiB/s; "
                                + "pieces.dat %d -> %d MiB on disk%n", scattered ? "scattered" : "adjacent", evicted, (long) evicted * PIECE >> 20,
                        seconds * 1e3, evicted / seconds, ((double) evicted * PIECE / (1 << 20)) / seconds,
                        before >> 20, after >> 20);
            }
        } finally {
            FileSystemUtils.deleteRecursively(dir);
        }
    }
}
