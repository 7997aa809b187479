package io.bootswarm.agent.nbd;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects a device's {@link Extent}s in order, merging a stretch with the same flags as the one
 * before into it, so the reply has maximal extents however finely the device looks (per piece, per
 * cluster). Bounded: once {@link #full()}, the device stops and the client asks again from where
 * the reply ends ("the server MAY return fewer descriptors").
 */
public final class Extents {

    /** Extents per reply at most; the protocol says a server "SHOULD NOT send more than 2^20". */
    public static final int MAX_EXTENTS = 1 << 16;

    private final List<Extent> extents = new ArrayList<>();
    private final int max;
    private long pendingLength;
    private int pendingFlags;
    private long total;

    public Extents() {
        this(MAX_EXTENTS);
    }

    /** @param max extents at most, at least 1 */
    public Extents(int max) {
        if (max < 1) {
            throw new IllegalArgumentException("max " + max);
        }
        this.max = max;
    }

    /** Appends {@code length} bytes (none if 0) with {@code flags}. */
    public Extents add(long length, int flags) {
        if (length < 0) {
            throw new IllegalArgumentException("length " + length);
        }
        if (length == 0 || full()) {
            return this;
        }
        if (pendingLength > 0 && flags != pendingFlags) {
            extents.add(new Extent(pendingLength, pendingFlags));
            pendingLength = 0;
            if (full()) {
                return this;
            }
        }
        pendingFlags = flags;
        pendingLength += length;
        total += length;
        return this;
    }

    /** True when no more extents fit: a device may stop looking. */
    public boolean full() {
        return extents.size() >= max;
    }

    /** The bytes covered so far. */
    public long covered() {
        return total;
    }

    /** The merged extents. */
    public List<Extent> toList() {
        List<Extent> out = new ArrayList<>(extents);
        if (pendingLength > 0) {
            out.add(new Extent(pendingLength, pendingFlags));
        }
        return List.copyOf(out);
    }
}
