package io.bootswarm.agent.disk;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;

/** Gets pieces of one image into the host's {@link PieceStore}: the swarm, for a real agent. */
public interface PieceSource {

    /**
     * Returns once {@code piece} is in the store, fetching and verifying it if it is not there:
     * a demand fetch, ahead of any prefetch.
     *
     * @throws IOException if no peer could supply a verified copy in time
     */
    void require(int piece) throws IOException;

    /**
     * Starts fetching {@code piece} ahead of need, at the priority of a prefetch; completes when it is
     * stored (at once if it is there), exceptionally if no peer delivered it. A source that cannot
     * fetch ahead completes at once without fetching.
     */
    default CompletableFuture<Void> prefetch(int piece) {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Whether a piece evicted from the store could be fetched again now (e.g. the image's swarm is
     * alive): the store evicts a piece a live disk may read only while this holds.
     */
    default boolean refetchable() {
        return true;
    }
}
