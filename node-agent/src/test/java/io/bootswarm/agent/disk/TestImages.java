package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSplitter;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.UUID;

/** Generated images for tests: random bytes with all-zero regions. */
final class TestImages {

    private TestImages() {
    }

    /** {@code size} bytes; every third piece-sized region is zero. */
    static byte[] image(int size, int pieceSize, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        for (int p = 0; p * pieceSize < size; p += 3) {
            java.util.Arrays.fill(b, p * pieceSize, Math.min(size, (p + 1) * pieceSize), (byte) 0);
        }
        return b;
    }

    static Manifest manifest(byte[] image, int pieceSize) {
        try {
            return new PieceSplitter(pieceSize, Long.MAX_VALUE).split(new ByteArrayInputStream(image), null, null)
                    .manifest(UUID.randomUUID(), "test-image");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
