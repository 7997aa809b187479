package io.bootswarm.bench.harness;

import io.bootswarm.bench.trace.Trace;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.manifest.SwarmId;
import io.bootswarm.common.wire.ServedSwarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.Random;
import java.util.UUID;

import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.WRITE;

/**
 * The image a harness run streams: a sparse file of the trace's image size in which every piece
 * the trace reads holds random bytes (seeded by the piece index) and every other piece is zeros,
 * never written (a 4 GiB Debian-like image takes only the trace's 73 MiB on disk). Its manifest
 * is built as the seed's splitter would (SHA-256 per piece, zero pieces marked), and
 * {@link #served()} serves it over the peer wire from the file, as seed-service serves its images.
 */
public final class ImageFixture implements AutoCloseable {

    private final Path file;
    private final FileChannel channel;
    private final Manifest manifest;

    private ImageFixture(Path file, FileChannel channel, Manifest manifest) {
        this.file = file;
        this.channel = channel;
        this.manifest = manifest;
    }

    /** Writes the image for {@code trace} (already at its scale) in pieces of {@code pieceSize} into {@code file}. */
    public static ImageFixture create(Trace trace, int pieceSize, Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.deleteIfExists(file);
        long size = trace.imageSize();
        int count = (int) ((size + pieceSize - 1) / pieceSize);
        BitSet touched = trace.pieces(pieceSize);
        PieceHash[] hashes = new PieceHash[count];
        PieceSet zero = new PieceSet(count);
        FileChannel ch = FileChannel.open(file, CREATE_NEW, READ, WRITE);
        try {
            byte[] data = new byte[pieceSize];
            PieceHash zeroFull = sha256(new byte[pieceSize], pieceSize);
            for (int p = 0; p < count; p++) {
                int length = (int) Math.min(pieceSize, size - (long) p * pieceSize);
                if (touched.get(p)) {
                    new Random(0x5eed_0000L + p).nextBytes(data);
                    ByteBuffer b = ByteBuffer.wrap(data, 0, length);
                    long pos = (long) p * pieceSize;
                    while (b.hasRemaining()) {
                        ch.write(b, pos + b.position());
                    }
                    hashes[p] = sha256(data, length);
                } else {
                    zero.add(p);
                    hashes[p] = length == pieceSize ? zeroFull : sha256(new byte[length], length);
                }
            }
            if (ch.size() < size) {
                ch.write(ByteBuffer.wrap(new byte[1]), size - 1); // the full size, sparse
            }
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        String name = trace.name();
        byte[] id = sha1((name + "/" + pieceSize + "/" + touched).getBytes(StandardCharsets.UTF_8));
        Manifest m = new Manifest(UUID.nameUUIDFromBytes(id), name, size, pieceSize, SwarmId.of(id), hashes, zero);
        return new ImageFixture(file, ch, m);
    }

    public Manifest manifest() {
        return manifest;
    }

    public Path file() {
        return file;
    }

    /** Reads image bytes at {@code offset} (the local mode's disk: the image pre-distributed). */
    public void read(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = channel.read(dst, pos);
            if (n < 0) {
                break;
            }
            pos += n;
        }
    }

    /** The image as the seed serves it: every piece, read from the file. */
    public ServedSwarm served(java.util.function.IntConsumer uploaded) {
        PieceSet all = PieceSet.full(manifest.pieceCount());
        return new ServedSwarm() {
            @Override
            public int pieceCount() {
                return manifest.pieceCount();
            }

            @Override
            public int pieceLength(int piece) {
                return manifest.pieceLength(piece);
            }

            @Override
            public PieceSet available() {
                return all;
            }

            @Override
            public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
                ByteBuffer b = ByteBuffer.wrap(dst, 0, length);
                long pos = manifest.pieceOffset(piece) + begin;
                while (b.hasRemaining()) {
                    if (channel.read(b, pos + b.position()) < 0) {
                        java.util.Arrays.fill(dst, b.position(), length, (byte) 0);
                        break;
                    }
                }
            }

            @Override
            public void uploaded(int bytes) {
                uploaded.accept(bytes);
            }
        };
    }

    private static PieceHash sha256(byte[] data, int length) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(data, 0, length);
            return PieceHash.of(d.digest(), 0);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] sha1(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws IOException {
        channel.close();
        Files.deleteIfExists(file);
    }
}
