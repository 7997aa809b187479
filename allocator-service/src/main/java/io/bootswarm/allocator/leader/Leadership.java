package io.bootswarm.allocator.leader;

import java.time.Instant;
import java.util.Optional;

/**
 * Whether this allocator instance is the one that plans. The planner asks {@link #current()} every
 * period and publishes only with a term; the plan store calls {@link #fence(Term)} inside the
 * transaction that stores and queues a plan, so that a deposed leader (paused past its lease, cut off
 * from the database) cannot publish even if it still believes it leads.
 */
public interface Leadership {

    /** This instance's term while it leads (its lease not yet expired by the local clock), else empty. */
    Optional<Term> current();

    /** Runs {@code action} (on the election's thread) each time this instance becomes the leader. */
    void whenElected(Runnable action);

    /**
     * Checks, in the caller's transaction, that {@code term} still holds the lease, and keeps a takeover
     * from committing until that transaction ends.
     *
     * @throws LeadershipLostException when another instance has taken the lease, or it has expired
     */
    void fence(Term term);

    /** The leadership of an allocator that runs alone ({@code bootswarm.allocator.leader.enabled=false}). */
    static Leadership alone(String instance) {
        Term forever = new Term(instance, 0, Instant.MAX);
        return new Leadership() {
            @Override
            public Optional<Term> current() {
                return Optional.of(forever);
            }

            @Override
            public void whenElected(Runnable action) {
            }

            @Override
            public void fence(Term term) {
            }
        };
    }
}
