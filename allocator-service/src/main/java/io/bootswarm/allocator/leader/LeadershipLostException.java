package io.bootswarm.allocator.leader;

/** Thrown inside the publishing transaction when the term it publishes for no longer holds the lease. */
public class LeadershipLostException extends RuntimeException {

    public LeadershipLostException(Term term) {
        super("instance '" + term.holder() + "' no longer holds the planner lease of epoch " + term.epoch());
    }
}
