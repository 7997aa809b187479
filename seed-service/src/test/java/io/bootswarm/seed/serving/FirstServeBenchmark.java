package io.bootswarm.seed.serving;

import io.bootswarm.common.wire.WireLimits;
import io.bootswarm.seed.allocation.PieceShaping;
import io.bootswarm.seed.catalog.ServableImage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.Random;
import java.util.UUID;

/**
 * What checking a piece before its first block is served costs the seed: every 16 KiB block of an image
 * (page-cached, so the disk does not hide the hashing) read three ways, side by side in each round: from
 * the file with plain positional reads (what the seed did before it verified), through {@link ImageSwarm}
 * for the first time (each piece read whole and hashed once, then its blocks), and through the same
 * swarm again (every piece verified: the steady state). Not a test: the build never runs it.
 *
 * <pre>
 * ./mvnw -q -pl seed-service -am test-compile
 * ./mvnw -q -pl seed-service dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * /usr/lib/jvm/temurin-25-jdk-amd64/bin/java -cp seed-service/target/classes:seed-service/target/test-classes:$(cat seed-service/target/cp.txt) \
 *     io.bootswarm.seed.serving.FirstServeBenchmark [MiB] [rounds]
 * </pre>
 */
final class FirstServeBenchmark {

    private static final int PIECE = 256 * 1024;

    public static void main(String[] args) throws IOException {
        int mib = args.length > 0 ? Integer.parseInt(args[0]) : 256;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        Path dir = Files.createTempDirectory("first-serve-bench");
        Path file = dir.resolve("image.img");
        byte[] bytes = new byte[mib * 1024 * 1024];
        new Random(1).nextBytes(bytes);
        Files.write(file, bytes);
        byte[] hashes = ImageSwarmTest.hashes(bytes, PIECE);
        bytes = null;
        int pieces = hashes.length / 32;
        long size = Files.size(file);
        System.out.printf("image: %d MiB, %d pieces of %d KiB, page-cached%n", mib, pieces, PIECE / 1024);
        System.out.println("round  plain MB/s  first-serve MB/s  verified MB/s  first-serve extra us/piece");
        try {
            plain(file, size); // warm the page cache and the JIT
            for (int round = 1; round <= rounds; round++) {
                double plain = plain(file, size);
                SimpleMeterRegistry meters = new SimpleMeterRegistry();
                StoreIntegrity integrity = new StoreIntegrity(IntegritySettings.defaults(), meters, Clock.systemUTC());
                ServableImage image = new ServableImage(UUID.randomUUID(), "bench", size, PIECE, pieces, file);
                try (ImageSwarm swarm = ImageSwarm.open(image, new UploadLedger(meters), PieceShaping.NONE,
                        integrity.forImage(image, hashes).orElseThrow())) {
                    double first = throughSwarm(swarm, size);
                    double verified = throughSwarm(swarm, size);
                    double extraMicrosPerPiece = (size / 1e6 / first - size / 1e6 / plain) * 1e6 / pieces;
                    System.out.printf("%5d  %10.0f  %16.0f  %13.0f  %26.0f%n", round, plain, first, verified,
                            extraMicrosPerPiece);
                }
            }
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(dir);
        }
    }

    /** MB/s reading every block with positional reads. */
    private static double plain(Path file, long size) throws IOException {
        ByteBuffer block = ByteBuffer.allocate(WireLimits.BLOCK_LENGTH);
        long start = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            for (long pos = 0; pos < size; pos += WireLimits.BLOCK_LENGTH) {
                block.clear();
                while (block.hasRemaining() && ch.read(block, pos + block.position()) >= 0) {
                    // fill the block
                }
            }
        }
        return size / 1e6 / ((System.nanoTime() - start) / 1e9);
    }

    /** MB/s reading every block through the swarm. */
    private static double throughSwarm(ImageSwarm swarm, long size) throws IOException {
        byte[] block = new byte[WireLimits.BLOCK_LENGTH];
        long start = System.nanoTime();
        for (int piece = 0; piece < swarm.pieceCount(); piece++) {
            int length = swarm.pieceLength(piece);
            for (int begin = 0; begin < length; begin += WireLimits.BLOCK_LENGTH) {
                swarm.readBlock(piece, begin, block, Math.min(WireLimits.BLOCK_LENGTH, length - begin));
            }
        }
        return size / 1e6 / ((System.nanoTime() - start) / 1e9);
    }
}
