package io.bootswarm.seed.serving;

import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.seed.catalog.ServableImage;
import io.bootswarm.testing.ManualClock;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

class StoreScrubTest {

    private static final int PIECE = 64 * 1024;

    @TempDir
    Path dir;

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final StoreIntegrity integrity = new StoreIntegrity(IntegritySettings.defaults(), meters, new ManualClock());

    private record Image(ServableImage servable, byte[] bytes, byte[] hashes) {
    }

    private Image image(String name, int size) throws IOException {
        byte[] bytes = new byte[size];
        new Random(name.hashCode()).nextBytes(bytes);
        Path file = Files.write(dir.resolve(name + ".img"), bytes);
        return new Image(new ServableImage(UUID.randomUUID(), name, size, PIECE, (size + PIECE - 1) / PIECE, file),
                bytes, ImageSwarmTest.hashes(bytes, PIECE));
    }

    @Test
    void aPassFindsAPieceThatRottedAfterItWasVerified() throws Exception {
        Image healthy = image("healthy", 3 * PIECE + 10);
        Image decaying = image("decaying", 4 * PIECE);
        Map<UUID, byte[]> hashes = Map.of(healthy.servable().id(), healthy.hashes(),
                decaying.servable().id(), decaying.hashes());
        ImageIntegrity served = integrity.forImage(decaying.servable(), decaying.hashes()).orElseThrow();
        served.verify(2, (position, dst, length) -> System.arraycopy(decaying.bytes(), (int) position, dst, 0, length));
        try (FileChannel ch = FileChannel.open(decaying.servable().file(), StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{(byte) ~decaying.bytes()[2 * PIECE + 7]}), 2 * PIECE + 7);
        }

        StoreScrub scrub = new StoreScrub(IntegritySettings.defaults(), null, integrity);
        StoreScrub.Pass pass = scrub.pass(List.of(healthy.servable(), decaying.servable()),
                id -> Optional.ofNullable(hashes.get(id)), RateLimiter.UNLIMITED);

        assertThat(pass).isEqualTo(new StoreScrub.Pass(2, 8, 1));
        assertThat(integrity.rottenPieces(decaying.servable().id())).isEqualTo(1);
        assertThat(integrity.rottenPieces(healthy.servable().id())).isZero();
        assertThat(served.available().contains(2)).isFalse();
        assertThat(served.available().cardinality()).isEqualTo(3);
        assertThat(meters.find(StoreIntegrity.ROTTEN).tag("image", "decaying").counter().count()).isEqualTo(1.0);
        assertThat(meters.find(StoreIntegrity.VERIFIED).tag("image", "healthy").counter().count()).isEqualTo(4.0);
    }
}
