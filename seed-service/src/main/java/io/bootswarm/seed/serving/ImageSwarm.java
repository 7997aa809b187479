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
 * One catalogued image served on the peer wire: blocks are read with positional reads from one
 * {@link FileChannel} shared by all connections. Closing it (the image was deleted) makes every later
 * read fail, which closes the connections still reading it.
 *
 * <p>No rotten byte leaves the seed: a piece is checked against the manifest's SHA-256 before its first
 * block is served ({@link ImageIntegrity}). A rotten piece is left out of {@link #available()} (the
 * bitfield of every later connection) and a block of it is refused with a
 * {@link ImageIntegrity.RottenPieceException}, before a byte of it is written; the peer wire has no way to
 * refuse one request (BEP 6's reject), so it closes that connection, and the peer, reconnecting, is
 * offered every piece but the rotten one.
 */
final class ImageSwarm implements ServedSwarm, AutoCloseable {

    private final ServableImage image;
    private final ImageIntegrity integrity;
    private final UploadLedger ledger;
    private final LongAdder uploaded;
    private final PieceShaping shaping;
    private volatile FileChannel channel;
    private volatile boolean closed;

    private ImageSwarm(ServableImage image, FileChannel channel, UploadLedger ledger, PieceShaping shaping,
                       ImageIntegrity integrity) {
        this.image = image;
        this.shaping = shaping;
        this.channel = channel;
        this.integrity = integrity;
        this.ledger = ledger;
        this.uploaded = ledger.account(image.id(), image.name());
    }

    /**
     * Opens the image's file; its pieces are checked by {@code integrity} before they are served and their
     * upload is shaped by {@code shaping} (the seed's split over piece groups).
     *
     * @throws IOException if it is missing or its size is not the catalogued one
     */
    static ImageSwarm open(ServableImage image, UploadLedger ledger, PieceShaping shaping, ImageIntegrity integrity)
            throws IOException {
        long size = Files.size(image.file());
        if (size != image.size()) {
            throw new IOException("image file " + image.file() + " has " + size + " bytes, the catalog says "
                    + image.size());
        }
        return new ImageSwarm(image, FileChannel.open(image.file(), StandardOpenOption.READ), ledger, shaping,
                integrity);
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
        return integrity.available();
    }

    /**
     * Reads a block, after checking its piece if this is the first block of it served since the file was
     * opened or changed.
     *
     * @throws ImageIntegrity.RottenPieceException if the piece is rotten: nothing of it may be sent
     */
    @Override
    public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
        if (begin < 0 || length < 0 || (long) begin + length > pieceLength(piece)) {
            throw new IOException("block [" + begin + ", +" + length + ") outside piece " + piece);
        }
        if (closed) {
            throw new NoLongerServed(image);
        }
        if (integrity.fileChanged()) {
            reopen(true);
        }
        integrity.verify(piece, this::read);
        read((long) piece * image.pieceSize() + begin, dst, length);
        shaping.served(piece, length);
    }

    private void read(long position, byte[] dst, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(dst, 0, length);
        boolean reopened = false;
        while (buf.hasRemaining()) {
            if (closed) {
                throw new NoLongerServed(image);
            }
            int n;
            try {
                n = channel.read(buf, position + buf.position());
            } catch (ClosedChannelException e) {
                // An interrupted reader closes a FileChannel for everyone: reopen once, unless we were closed.
                if (closed || reopened || Thread.currentThread().isInterrupted()) {
                    throw e;
                }
                reopen(false);
                reopened = true;
                continue;
            }
            if (n < 0) {
                throw new EOFException("image file " + image.file() + " ends before byte " + (position + length));
            }
        }
    }

    @Override
    public RateLimiter limiterFor(int piece) {
        return shaping.limiterFor(piece);
    }

    /** Opens the file again if the channel was closed under us, or always if {@code replaced}. */
    private synchronized void reopen(boolean replaced) throws IOException {
        if (closed || (channel.isOpen() && !replaced)) {
            return;
        }
        FileChannel old = channel;
        channel = FileChannel.open(image.file(), StandardOpenOption.READ);
        if (replaced) {
            old.close(); // a reader still on it gets ClosedChannelException and retries on the new one
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

    /** A read of an image that is no longer served: no verdict on its pieces. */
    private static final class NoLongerServed extends ClosedChannelException {
        private final String message;

        NoLongerServed(ServableImage image) {
            this.message = "image " + image.id() + " '" + image.name() + "' is no longer served";
        }

        @Override
        public String getMessage() {
            return message;
        }
    }

    @Override
    public String toString() {
        return "ImageSwarm[" + image.name() + " " + image.id() + "]";
    }
}
