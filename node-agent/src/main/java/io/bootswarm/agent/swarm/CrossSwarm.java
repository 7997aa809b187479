package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.ServedSwarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Another image's swarm as this host serves it without running it: the pieces of that image that
 * the host holds because they are also pieces of its own images (pieces are named by content, so
 * a shared piece is one piece). Peers of that image get them from us instead of from the seed.
 */
final class CrossSwarm implements ServedSwarm, PieceHolder {

    private final Manifest manifest;
    private final PieceStore store;
    private final PieceSet available;
    private final AtomicLongArray uploadedByPiece;
    private final Runnable onNewPiece;
    private final AtomicLong bytesUploaded = new AtomicLong();

    CrossSwarm(Manifest manifest, PieceStore store, Runnable onNewPiece) {
        this.manifest = manifest;
        this.store = store;
        this.onNewPiece = onNewPiece;
        this.available = new PieceSet(manifest.pieceCount());
        this.uploadedByPiece = new AtomicLongArray(manifest.pieceCount());
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!manifest.isZero(i) && store.contains(manifest.hash(i))) {
                available.add(i);
            }
        }
    }

    Manifest manifest() {
        return manifest;
    }

    @Override
    public boolean pieceArrived(int piece) {
        boolean added = available.add(piece);
        if (added) {
            onNewPiece.run();
        }
        return added;
    }

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
        return available;
    }

    @Override
    public void readBlock(int piece, int begin, byte[] dst, int length) throws IOException {
        uploadedByPiece.addAndGet(piece, length);
        if (manifest.isZero(piece)) {
            Arrays.fill(dst, 0, length, (byte) 0);
            return;
        }
        store.read(manifest.hash(piece), begin, ByteBuffer.wrap(dst, 0, length));
    }

    /** Bytes uploaded to peers per piece of the image, since start (for swarm reports). */
    public AtomicLongArray uploadedByPiece() {
        return uploadedByPiece;
    }

    @Override
    public void uploaded(int bytes) {
        bytesUploaded.addAndGet(bytes);
    }

    long bytesUploaded() {
        return bytesUploaded.get();
    }
}
