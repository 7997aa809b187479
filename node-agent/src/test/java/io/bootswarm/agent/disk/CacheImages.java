package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.Manifest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

/** Images with no zero piece, their pieces, and the space a file takes on disk, for the cache tests. */
final class CacheImages {

    private CacheImages() {
    }

    /** An image of {@code pieces} random pieces of {@code pieceSize} bytes each (none all zero). */
    record Image(byte[] bytes, Manifest manifest) {

        static Image random(int pieces, int pieceSize, long seed) {
            byte[] b = new byte[pieces * pieceSize];
            new Random(seed).nextBytes(b);
            return new Image(b, TestImages.manifest(b, pieceSize));
        }

        VerifiedPiece piece(int i) {
            int off = (int) manifest.pieceOffset(i);
            int len = manifest.pieceLength(i);
            return VerifiedPiece.verify(manifest.hash(i), Arrays.copyOfRange(bytes, off, off + len), len)
                    .orElseThrow();
        }

        byte[] pieceBytes(int i) {
            int off = (int) manifest.pieceOffset(i);
            return Arrays.copyOfRange(bytes, off, off + manifest.pieceLength(i));
        }

        /** The piece's bytes as the store has them, or null if it does not. */
        byte[] stored(PieceStore store, int i) throws IOException {
            ByteBuffer b = ByteBuffer.allocate(manifest.pieceLength(i));
            return store.tryRead(manifest.hash(i), 0, b) ? b.array() : null;
        }
    }

    /** Bytes the file's blocks take on disk ({@code stat %b × %B}), as {@code du} counts them. */
    static long allocated(Path file) throws IOException {
        Process p = new ProcessBuilder("stat", "-c", "%b %B", file.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        try {
            if (p.waitFor() != 0) {
                throw new IOException("stat " + file + ": " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException(e);
        }
        String[] f = out.split(" ");
        return Long.parseLong(f[0]) * Long.parseLong(f[1]);
    }
}
