package io.bootswarm.allocator.leader;

import java.time.Instant;

/**
 * One instance's term as the planner: the lease it holds.
 *
 * @param holder    the instance ({@link LeaderProperties#instance()})
 * @param epoch     the fencing epoch: every takeover of the lease increments it, so a plan stored with an
 *                  older epoch was made by a deposed leader
 * @param expiresAt when the lease runs out unless renewed (by the holder's clock)
 */
public record Term(String holder, long epoch, Instant expiresAt) {
}
