package io.bootswarm.allocator.leader;

import java.time.Instant;
import java.util.OptionalLong;

/**
 * The leases of named roles, each a row with a holder, an epoch and an expiry; times come from the
 * caller's clock. Every operation is one atomic compare-and-set, so that two instances never both hold
 * an unexpired lease of one role.
 */
public interface LeaseTable {

    /**
     * Takes the lease of {@code name} if nobody holds it or it expired at {@code now}; the epoch goes up
     * by one on every take.
     *
     * @return the new epoch, or empty when another holder's lease is still running
     */
    OptionalLong acquire(String name, String holder, Instant now, Instant until);

    /** Extends the lease to {@code until} if {@code holder} still holds it with {@code epoch} and it has not expired. */
    boolean renew(String name, String holder, long epoch, Instant now, Instant until);

    /** Ends the lease now if {@code holder} holds it with {@code epoch}, so that a standby takes it at once. */
    void release(String name, String holder, long epoch, Instant now);

    /**
     * Whether {@code holder} holds the unexpired lease with {@code epoch}; in a transaction, the row stays
     * locked against a takeover until it ends.
     */
    boolean holds(String name, String holder, long epoch, Instant now);
}
