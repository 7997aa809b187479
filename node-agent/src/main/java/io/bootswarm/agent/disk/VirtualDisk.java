package io.bootswarm.agent.disk;

import io.bootswarm.agent.nbd.BlockDevice;
import io.bootswarm.agent.nbd.Extent;
import io.bootswarm.agent.nbd.Extents;
import io.bootswarm.agent.nbd.FileRegions;
import io.bootswarm.agent.nbd.MetaContext;
import io.bootswarm.common.manifest.Manifest;
import io.bootswarm.common.manifest.PieceHash;
import io.bootswarm.common.time.MonotonicClock;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An image as a complete local disk, before it has been copied: reads come from the copy-on-write
 * {@link Overlay} where the guest wrote, from zeros for all-zero pieces, and otherwise from the
 * host's {@link PieceStore}, asking the {@link PieceSource} for a missing piece and waiting only for
 * the pieces the read covers. The image in the catalog is never changed.
 *
 * <p>The disk's size is the image's rounded up to whole 512-byte sectors, the tail reading as
 * zeros (as {@code qemu-nbd} does: QEMU's NBD client hangs on exports of other sizes). Reads whose
 * bytes are all on this host can be sent by the NBD server straight from the files
 * ({@link FileRegions}).
 *
 * <p>Block status ({@link #extents}) comes from what the disk knows without reading: the manifest's
 * all-zero pieces and the padded tail are holes that read as zeroes, a cluster the guest wrote is
 * data unless it was written by WRITE_ZEROES or TRIM, and a piece is present when it is zero or in
 * the store. TRIM zeroes only clusters the guest had written (their data is the guest's to drop);
 * over image bytes it is ignored, which the protocol allows, as copying them in would cost a write.
 */
public final class VirtualDisk implements BlockDevice, FileRegions, AutoCloseable {

    private static final int STRIPES = 64;
    private static final int SECTOR = 512;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();
    /** Pieces fetched at once for {@link #cache} hints, at prefetch priority (a prefetcher's default). */
    static final int CACHE_FETCHES = 4;

    private final Manifest manifest;
    private final long size;
    private final PieceStore store;
    private final PieceSource source;
    private final Overlay overlay;
    private final ReentrantLock[] clusterLocks = new ReentrantLock[STRIPES];
    private final AccessListener listener;
    private final DemandStats demand = new DemandStats();
    private final InstantSource clock;
    private final PrefetchHints hints;
    private final PieceClaim claim;

    /** Told of every read the guest makes, for access recording. */
    @FunctionalInterface
    public interface AccessListener {
        void read(long offset, int length);

        AccessListener NONE = (offset, length) -> {
        };
    }

    private VirtualDisk(Manifest manifest, PieceStore store, PieceSource source, Overlay overlay,
                        AccessListener listener, InstantSource clock) {
        this.manifest = manifest;
        this.clock = clock;
        this.size = paddedSize(manifest);
        this.store = store;
        this.source = source;
        this.overlay = overlay;
        this.listener = listener;
        List<PieceHash> needs = new ArrayList<>();
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!manifest.isZero(i)) {
                needs.add(manifest.hash(i));
            }
        }
        this.claim = store.claim("disk of image " + manifest.imageId(), needs, source::refetchable);
        for (int i = 0; i < STRIPES; i++) {
            clusterLocks[i] = new ReentrantLock();
        }
        this.hints = new PrefetchHints(manifest.pieceCount(),
                p -> !manifest.isZero(p) && !store.contains(manifest.hash(p)), source::prefetch, CACHE_FETCHES);
    }

    private static long paddedSize(Manifest m) {
        return (m.size() + SECTOR - 1) / SECTOR * SECTOR;
    }

    /**
     * Opens the disk whose overlay lives in {@code overlayDirectory} (created if new, reopened with
     * its flushed writes if not).
     */
    public static VirtualDisk open(Manifest manifest, PieceStore store, PieceSource source, Path overlayDirectory,
                                   AccessListener listener) throws IOException {
        return open(manifest, store, source, overlayDirectory, listener, MonotonicClock.system());
    }

    /**
     * As {@link #open(Manifest, PieceStore, PieceSource, Path, AccessListener)}, timing the waits for
     * missing pieces ({@link #demand()}) by {@code clock}.
     */
    public static VirtualDisk open(Manifest manifest, PieceStore store, PieceSource source, Path overlayDirectory,
                                   AccessListener listener, InstantSource clock) throws IOException {
        if (store.pieceSize() != manifest.pieceSize()) {
            throw new IllegalArgumentException("image pieces are " + manifest.pieceSize() + " bytes, the store's "
                    + store.pieceSize());
        }
        return new VirtualDisk(manifest, store, source, Overlay.open(overlayDirectory, paddedSize(manifest)),
                listener, clock);
    }

    public Manifest manifest() {
        return manifest;
    }

    @Override
    public long size() {
        return size;
    }

    /** Pieces of this image that are neither zero nor in the store yet. */
    public int missingPieces() {
        int n = 0;
        for (int i = 0; i < manifest.pieceCount(); i++) {
            if (!manifest.isZero(i) && !store.contains(manifest.hash(i))) {
                n++;
            }
        }
        return n;
    }

    /**
     * Keeps {@code pieces} of the image (e.g. the head of its access profile) on the host for as long
     * as this disk is open: the store never evicts them (see {@link PieceClaim}).
     */
    public void pin(int[] pieces) {
        List<PieceHash> hashes = new ArrayList<>(pieces.length);
        for (int piece : pieces) {
            if (piece >= 0 && piece < manifest.pieceCount() && !manifest.isZero(piece)) {
                hashes.add(manifest.hash(piece));
            }
        }
        claim.pin(hashes);
    }

    /** Reads of this disk that waited for a missing piece, and how long. */
    public DemandStats demand() {
        return demand;
    }

    /** 4 KiB clusters the guest has written. */
    public int writtenClusters() {
        return overlay.writtenClusters();
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        listener.read(offset, dst.remaining());
        long pos = offset;
        while (dst.hasRemaining()) {
            int n = (int) Math.min(dst.remaining(), segmentEnd(pos) - pos);
            ByteBuffer part = dst.slice(dst.position(), n);
            if (overlay.anyWritten(pos, n)) {
                readMixed(pos, part);
            } else {
                readImage(pos, part);
            }
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    /** The end of the piece holding {@code pos}, or of the disk past the image's last byte. */
    private long segmentEnd(long pos) {
        if (pos >= manifest.size()) {
            return size;
        }
        int piece = manifest.pieceAt(pos);
        return manifest.pieceOffset(piece) + manifest.pieceLength(piece);
    }

    /** Reads a range inside one segment where some clusters come from the overlay. */
    private void readMixed(long offset, ByteBuffer dst) throws IOException {
        long pos = offset;
        while (dst.hasRemaining()) {
            int cluster = (int) (pos / Overlay.CLUSTER);
            int n = (int) Math.min(dst.remaining(), (long) (cluster + 1) * Overlay.CLUSTER - pos);
            ByteBuffer part = dst.slice(dst.position(), n);
            if (overlay.isWritten(cluster)) {
                overlay.read(pos, part);
            } else {
                readImage(pos, part);
            }
            dst.position(dst.position() + n);
            pos += n;
        }
    }

    /** Reads image bytes (never overlay) at {@code pos}, within one piece; zeros past the image's end. */
    private void readImage(long pos, ByteBuffer dst) throws IOException {
        if (pos < manifest.size()) {
            int n = (int) Math.min(dst.remaining(), manifest.size() - pos);
            int piece = manifest.pieceAt(pos);
            ByteBuffer part = dst.slice(dst.position(), n);
            if (manifest.isZero(piece)) {
                zero(part);
            } else {
                // a piece evicted between the fetch and the read is fetched again
                while (!store.tryRead(manifest.hash(piece), (int) (pos - manifest.pieceOffset(piece)), part)) {
                    Instant start = clock.instant();
                    source.require(piece);
                    demand.record(Duration.between(start, clock.instant()).toNanos());
                }
            }
            dst.position(dst.position() + n);
        }
        zero(dst);
    }

    @Override
    public Optional<List<Region>> regions(long offset, int length) throws IOException {
        List<Region> out = new ArrayList<>();
        long pos = offset;
        long end = offset + length;
        while (pos < end) {
            int n = (int) Math.min(end - pos, segmentEnd(pos) - pos);
            if (overlay.anyWritten(pos, n)) {
                long p = pos;
                while (p < pos + n) {
                    int cluster = (int) (p / Overlay.CLUSTER);
                    int m = (int) Math.min(pos + n - p, (long) (cluster + 1) * Overlay.CLUSTER - p);
                    if (overlay.isWritten(cluster)) {
                        out.add(Region.of(overlay.dataFile(), p, m));
                    } else if (!imageRegions(p, m, out)) {
                        return Optional.empty();
                    }
                    p += m;
                }
            } else if (!imageRegions(pos, n, out)) {
                return Optional.empty();
            }
            pos += n;
        }
        listener.read(offset, length);
        return Optional.of(out);
    }

    /** Adds the regions of image bytes at {@code pos} (within one segment); false if a piece is missing. */
    private boolean imageRegions(long pos, int length, List<Region> out) {
        int inImage = (int) Math.max(0, Math.min(length, manifest.size() - pos));
        if (inImage > 0) {
            int piece = manifest.pieceAt(pos);
            if (manifest.isZero(piece)) {
                out.add(Region.zeroes(inImage));
            } else {
                long at = store.position(manifest.hash(piece));
                if (at < 0) {
                    return false;
                }
                out.add(Region.of(store.dataFile(), at + (pos - manifest.pieceOffset(piece)), inImage));
            }
        }
        if (length > inImage) {
            out.add(Region.zeroes(length - inImage));
        }
        return true;
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        write(offset, src, false);
    }

    /** {@code zeroes}: {@code src} is all zero, so that whole clusters it covers are marked so. */
    private void write(long offset, ByteBuffer src, boolean zeroes) throws IOException {
        long pos = offset;
        while (src.hasRemaining()) {
            int cluster = (int) (pos / Overlay.CLUSTER);
            long clusterStart = (long) cluster * Overlay.CLUSTER;
            int inCluster = (int) (pos - clusterStart);
            int clusterLength = (int) overlay.clusterLength(cluster);
            int n = Math.min(src.remaining(), clusterLength - inCluster);
            ByteBuffer part = src.slice(src.position(), n);
            ReentrantLock lock = clusterLocks[cluster % STRIPES];
            lock.lock();
            try {
                if (n == clusterLength) {
                    overlay.writeCluster(cluster, part, zeroes);
                } else {
                    // copy-on-write of a partly covered cluster: start from what the guest sees now
                    ByteBuffer whole = ByteBuffer.allocate(clusterLength);
                    if (overlay.isWritten(cluster)) {
                        overlay.read(clusterStart, whole);
                    } else {
                        readImage(clusterStart, whole);
                    }
                    whole.clear().position(inCluster);
                    whole.put(part);
                    whole.clear();
                    overlay.writeCluster(cluster, whole);
                }
            } finally {
                lock.unlock();
            }
            src.position(src.position() + n);
            pos += n;
        }
    }

    @Override
    public void writeZeroes(long offset, long length) throws IOException {
        long pos = offset;
        long left = length;
        while (left > 0) {
            int n = (int) Math.min(left, ZEROS.capacity());
            write(pos, ZEROS.duplicate().limit(n), true);
            pos += n;
            left -= n;
        }
    }

    @Override
    public void trim(long offset, long length) throws IOException {
        long first = (offset + Overlay.CLUSTER - 1) / Overlay.CLUSTER;
        long endCluster = (offset + length) / Overlay.CLUSTER;
        if (offset + length == size) {
            endCluster = (size + Overlay.CLUSTER - 1) / Overlay.CLUSTER; // the short last cluster
        }
        for (long c = first; c < endCluster; c++) {
            int cluster = (int) c;
            if (!overlay.isWritten(cluster) || overlay.isZeroed(cluster)) {
                continue;
            }
            ReentrantLock lock = clusterLocks[cluster % STRIPES];
            lock.lock();
            try {
                overlay.writeCluster(cluster, ZEROS.duplicate().limit((int) overlay.clusterLength(cluster)), true);
            } finally {
                lock.unlock();
            }
        }
    }

    @Override
    public List<Extent> extents(long offset, long length, MetaContext context, int maxExtents) {
        Extents out = new Extents(maxExtents);
        long pos = offset;
        long end = offset + length;
        while (pos < end && !out.full()) {
            long n = Math.min(end - pos, segmentEnd(pos) - pos);
            if (pos >= manifest.size()) {
                out.add(n, tailFlags(context));
            } else {
                int piece = manifest.pieceAt(pos);
                int pieceFlags = pieceFlags(piece, context);
                if (!overlay.anyWritten(pos, n)) {
                    out.add(n, pieceFlags);
                } else {
                    long p = pos;
                    while (p < pos + n) {
                        int cluster = (int) (p / Overlay.CLUSTER);
                        long m = Math.min(pos + n - p, (long) (cluster + 1) * Overlay.CLUSTER - p);
                        out.add(m, overlay.isWritten(cluster) ? writtenFlags(cluster, context) : pieceFlags);
                        p += m;
                    }
                }
            }
            pos += n;
        }
        return out.toList();
    }

    private int pieceFlags(int piece, MetaContext context) {
        return switch (context) {
            case BASE_ALLOCATION -> manifest.isZero(piece) ? MetaContext.STATE_HOLE | MetaContext.STATE_ZERO : 0;
            case BOOTSWARM_PRESENT -> manifest.isZero(piece) || store.contains(manifest.hash(piece))
                    ? MetaContext.STATE_PRESENT : 0;
        };
    }

    private int writtenFlags(int cluster, MetaContext context) {
        return switch (context) {
            case BASE_ALLOCATION -> overlay.isZeroed(cluster) ? MetaContext.STATE_HOLE | MetaContext.STATE_ZERO : 0;
            case BOOTSWARM_PRESENT -> MetaContext.STATE_PRESENT;
        };
    }

    private static int tailFlags(MetaContext context) {
        return switch (context) {
            case BASE_ALLOCATION -> MetaContext.STATE_HOLE | MetaContext.STATE_ZERO;
            case BOOTSWARM_PRESENT -> MetaContext.STATE_PRESENT;
        };
    }

    /**
     * {@code NBD_CMD_CACHE}: the image's pieces under the range that are neither zero nor on the host
     * are fetched in the background through the {@link PieceSource}, {@link #CACHE_FETCHES} at a time
     * ({@link PrefetchHints} bounds the work whatever the range).
     */
    @Override
    public void cache(long offset, long length) {
        long end = Math.min(offset + length, manifest.size());
        if (offset < end) {
            hints.add(manifest.pieceAt(offset), manifest.pieceAt(end - 1) + 1);
        }
    }

    /** Pieces asked for by {@link #cache} hints and not yet being fetched. */
    public int cachePending() {
        return hints.pending();
    }

    @Override
    public void flush() throws IOException {
        overlay.flush();
    }

    private static void zero(ByteBuffer dst) {
        while (dst.hasRemaining()) {
            int n = Math.min(dst.remaining(), ZEROS.capacity());
            dst.put(ZEROS.duplicate().limit(n));
        }
    }

    @Override
    public void close() throws IOException {
        hints.close();
        claim.close();
        overlay.close();
    }
}
