package io.bootswarm.seed.serving;

import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.RateLimiter;
import io.bootswarm.common.wire.ServedSwarm;
import io.bootswarm.seed.allocation.PieceShaping;
import io.bootswarm.seed.catalog.ServableImage;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.concurrent.atomic.LongAdder;

/**
 * One catalogued image served on the peer wire: every piece is available, blocks are read with
 * positional reads from one {@link FileChannel} shared by all connections. Closing it (the image
 * was deleted) makes every later read fail, which closes the connections still reading it.
 */
final class ImageSwarm implements ServedSwarm, AutoCloseable {

    private final ServableImage image;
    private final PieceSet all;
    private final UploadLedger ledger;
    private final LongAdder uploaded;
    private final PieceShaping shaping;
    private volatile FileChannel channel;
    private volatile boolean closed;

    private ImageSwarm(ServableImage image, FileChannel channel, UploadLedger ledger, PieceShaping shaping) {
        this.image = image;
        this.shaping = shaping;
        this.channel = channel;
        this.all = PieceSet.full(image.pieceCount());
        this.ledger = ledger;
        this.uploaded = ledger.account(image.id(), image.name());
    }

    /**
     * Opens the image's file.
     *
     * @throws IOException if it is missing or its size is not the catalogued one
     */
    static ImageSwarm open(ServableImage image, UploadLedger ledger) throws IOException {
        return open(image, ledger, PieceShaping.NONE);
    }

    /**
     * Opens the image's file; its pieces' upload is shaped by {@code shaping} (the seed's split over
     * piece groups).
     *
     * @throws IOException if it is missing or its size is not the catalogued one
     */
    static ImageSwarm open(ServableImage image, UploadLedger ledger, PieceShaping shaping) throws IOException {
        long size = Files.size(image.file());
        if (size != image.size()) {
            throw new IOException("image file " + image.file() + " has " + size + " bytes, the catalog says "
                    + image.size());
        }
        return new ImageSwarm(image, FileChannel.open(image.file(), StandardOpenOption.READ), ledger, shaping);
    }

    UUID imageId() {
        return image.id();
    }

    @Override
    public int pieceCount() {
        return image.pieceCount();
    }

    @Override
    public int pieceLength(int piece) {
        if (piece < 0 || piece >= image.pieceCount()) {
            throw new IndexOutOfBoundsException("piece " + piece + " of " + image.pieceCount());
        }
        return (int) Math.min(image.pieceSize(), image.size() - (long) piece * image.pieceSize());
    }

    @Override
    public PieceSet available() {
        return all;
    }

    @Override
    public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
        if (begin < 0 || length < 0 || (long) begin + length > pieceLength(piece)) {
            throw new IOException("block [" + begin + ", +" + length + ") outside piece " + piece);
        }
        long position = (long) piece * image.pieceSize() + begin;
        ByteBuffer buf = ByteBuffer.wrap(dst, 0, length);
        boolean reopened = false;
        while (buf.hasRemaining()) {
            if (closed) {
                throw new IOException("image " + image.id() + " '" + image.name() + "' is no longer served");
            }
            int n;
            try {
                n = channel.read(buf, position + buf.position());
            } catch (ClosedChannelException e) {
                // An interrupted reader closes a FileChannel for everyone: reopen once, unless we were closed.
                if (closed || reopened || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                reopen();
                reopened = true;
                continue;
            }
            if (n < 0) {
                throw new EOFException("image file " + image.file() + " ends before byte " + (position + length));
            }
        }
        shaping.served(piece, length);
    }

    @Override
    public RateLimiter limiterFor(int piece) {
        return shaping.limiterFor(piece);
    }

    private synchronized void reopen() throws IOException {
        if (!channel.isOpen() && !closed) {
            channel = FileChannel.open(image.file(), StandardOpenOption.READ);
        }
    }

    @Override
    public void uploaded(int bytes) {
        ledger.add(uploaded, bytes);
    }

    @Override
    public synchronized void close() {
        closed = true;
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public String toString() {
        return "ImageSwarm[" + image.name() + " " + image.id() + "]";
    }
}
