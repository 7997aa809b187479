package io.bootswarm.agent.swarm;

import io.bootswarm.agent.disk.PieceStore;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceSet;
import io.bootswarm.common.wire.PieceUnavailableException;
import io.bootswarm.common.wire.ServedSwarm;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.IntConsumer;

/**
 * One image's pieces as this host serves them to peers, backed by the host's {@link PieceStore}:
 * the image's own swarm ({@link SwarmSession}) and an image the host only serves shared pieces of
 * (cross-image, in {@link SwarmManager}) both serve through one of these.
 *
 * <p>The host holds every all-zero piece: it is never stored, never fetched, and read as zeros.
 * So the served set starts as the zero pieces and the pieces the store holds, and grows as pieces
 * arrive in the store. Peers see the zero pieces in our bitfield and may ask for them (a stock
 * BitTorrent client does not know they are zeros); {@link #readBlock} answers them without the store.
 * It shrinks when the store evicts a piece ({@link #pieceEvicted}): the peers are told (BEP 54
 * {@code lt_donthave}) and a block whose piece went while it waited is rejected, not an error.
 *
 * <p>It also knows which pieces the image's session is fetching now ({@link #fetchStarted}, at most
 * {@value #MAX_ADVERTISED} at once), which the peers are told with {@code bs_fetching}.
 */
final class ServedPieces implements ServedSwarm {

    private final Manifest manifest;
    private final PieceStore store;
    private final PieceSet available;
    private final AtomicLongArray uploadedByPiece;
    private final AtomicLong bytesUploaded = new AtomicLong();
    private final IntConsumer onNewPiece;
    private final IntConsumer onGone;
    /** The most pieces advertised as being fetched at once; more fetches under way are not advertised. */
    static final int MAX_ADVERTISED = 64;
    private final Set<Integer> fetching = ConcurrentHashMap.newKeySet();
    private final SwarmSession.FetchingListener onFetching;

    /** A view whose evictions nobody is told of. */
    ServedPieces(Manifest manifest, PieceStore store, IntConsumer onNewPiece) {
        this(manifest, store, onNewPiece, piece -> {
        });
    }

    /**
     * @param onNewPiece told of each piece that becomes available after this view was made (to
     *                   announce it with {@code have} to the peers of the image's swarm)
     * @param onGone     told of each piece that stops being available (evicted from the store), after it is
     *                   out of {@link #available()} (to withdraw it with {@code lt_donthave})
     */
    ServedPieces(Manifest manifest, PieceStore store, IntConsumer onNewPiece, IntConsumer onGone) {
        this(manifest, store, onNewPiece, onGone, SwarmSession.FetchingListener.NONE);
    }

    /**
     * @param onFetching told when the session starts and stops fetching a piece it advertises (to tell the
     *                   peers with {@code bs_fetching})
     */
    ServedPieces(Manifest manifest, PieceStore store, IntConsumer onNewPiece, IntConsumer onGone,
                 SwarmSession.FetchingListener onFetching) {
        this.manifest = manifest;
        this.onFetching = onFetching;
        this.store = store;
        this.onNewPiece = onNewPiece;
        this.onGone = onGone;
        this.available = new PieceSet(manifest.pieceCount());
        this.uploadedByPiece = new AtomicLongArray(manifest.pieceCount());
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (manifest.isZero(i) || store.contains(manifest.hash(i))) {
                available.add(i);
            }
        }
    }

    Manifest manifest() {
        return manifest;
    }

    /**
     * Marks {@code piece} available once it is in the store; true if it was not before (then
     * {@code onNewPiece} is told).
     */
    boolean pieceArrived(int piece) {
        boolean added = available.add(piece);
        if (added && !stillStored(piece)) {
            return false;
        }
        if (added) {
            onNewPiece.accept(piece);
        }
        return added;
    }

    /**
     * Takes {@code piece} out of what is served once the store evicted it; true if it was served (then
     * {@code onGone} is told). A zero piece is never evicted.
     */
    boolean pieceEvicted(int piece) {
        if (manifest.isZero(piece) || store.contains(manifest.hash(piece))) {
            return false; // stored again since
        }
        boolean removed = available.remove(piece);
        if (removed) {
            onGone.accept(piece);
        }
        return removed;
    }

    /** After marking {@code piece} held: undoes that if the store evicted it meanwhile. */
    private boolean stillStored(int piece) {
        if (manifest.isZero(piece) || store.contains(manifest.hash(piece))) {
            return true;
        }
        available.remove(piece);
        return false;
    }

    /**
     * Marks {@code piece} available without telling {@code onNewPiece}: for a piece found in the
     * store whose arrival the store's listener reports itself.
     */
    void markHeld(int piece) {
        if (available.add(piece)) {
            stillStored(piece);
        }
    }

    boolean has(int piece) {
        return available.contains(piece);
    }

    /** Non-zero pieces held (the zero pieces are always held and not counted). */
    int piecesPresent() {
        return available.cardinality() - manifest.zeroCount();
    }

    /** Bytes of the pieces not held yet: what the tracker is told is {@code left}. */
    long bytesLeft() {
        long left = 0;
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!available.contains(i)) {
                left += manifest.pieceLength(i);
            }
        }
        return left;
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
        if (!store.tryRead(manifest.hash(piece), begin, ByteBuffer.wrap(dst, 0, length))) {
            throw new PieceUnavailableException("piece " + piece + " of " + manifest.name() + " is no longer held");
        }
    }

    /** Bytes uploaded to peers per piece of the image, since start (for swarm reports). */
    AtomicLongArray uploadedByPiece() {
        return uploadedByPiece;
    }

    @Override
    public void uploaded(int bytes) {
        bytesUploaded.addAndGet(bytes);
    }

    /**
     * The session sent a request for {@code piece}: it is advertised as being fetched, unless
     * {@value #MAX_ADVERTISED} are already; true if it is now.
     */
    synchronized boolean fetchStarted(int piece) {
        if (fetching.size() >= MAX_ADVERTISED || !fetching.add(piece)) {
            return false;
        }
        onFetching.fetching(piece, true);
        return true;
    }

    /** The session's request for {@code piece} ended, with the piece or without: its advertisement ends. */
    synchronized void fetchEnded(int piece) {
        if (fetching.remove(piece)) {
            onFetching.fetching(piece, false);
        }
    }

    @Override
    public Set<Integer> fetching() {
        return Set.copyOf(fetching);
    }

    /** Bytes uploaded to peers of this image since start. */
    long bytesUploaded() {
        return bytesUploaded.get();
    }
}
