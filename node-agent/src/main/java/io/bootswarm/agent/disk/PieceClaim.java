package io.bootswarm.agent.disk;

import io.bootswarm.common.manifest.PieceHash;

import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * A live disk's hold on the {@link PieceStore}'s pieces, from {@link PieceStore#claim} until
 * {@link #close()}. Eviction takes pieces no claim needs first; a piece a claim needs only while
 * the claim's source can fetch it again ({@code refetchable}, e.g. its swarm is alive); and never a
 * piece a claim {@link #pin pinned} (e.g. its profile's head, the pieces a boot reads first).
 */
public final class PieceClaim implements AutoCloseable {

    private final PieceStore store;
    private final String owner;
    private final Set<PieceHash> needs;
    private final BooleanSupplier refetchable;
    private volatile Set<PieceHash> pinned = Set.of();

    PieceClaim(PieceStore store, String owner, Collection<PieceHash> needs, BooleanSupplier refetchable) {
        this.store = store;
        this.owner = owner;
        this.needs = Set.copyOf(needs);
        this.refetchable = refetchable;
    }

    /** Who holds the claim, for logs. */
    public String owner() {
        return owner;
    }

    /** Pins {@code hashes} (with those pinned before) for as long as the claim lives. */
    public synchronized void pin(Collection<PieceHash> hashes) {
        Set<PieceHash> next = new HashSet<>(pinned);
        next.addAll(hashes);
        pinned = Set.copyOf(next);
    }

    /** Unpins everything this claim pinned. */
    public synchronized void unpinAll() {
        pinned = Set.of();
    }

    public Set<PieceHash> pinned() {
        return pinned;
    }

    boolean needs(PieceHash hash) {
        return needs.contains(hash);
    }

    boolean pins(PieceHash hash) {
        return pinned.contains(hash);
    }

    boolean refetchable() {
        return refetchable.getAsBoolean();
    }

    /** Ends the claim (idempotent): its pieces become evictable like any others. */
    @Override
    public void close() {
        store.release(this);
    }

    @Override
    public String toString() {
        return "claim of " + owner;
    }
}
