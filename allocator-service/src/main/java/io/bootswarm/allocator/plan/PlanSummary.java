package io.bootswarm.allocator.plan;

import java.time.Instant;
import java.util.UUID;

/**
 * A plan of the history without its per-swarm lines: what listing the history needs.
 *
 * @param leader the instance that made it (null for plans made before leader election existed)
 * @param epoch  the leadership epoch it was made in (0 without election)
 */
public record PlanSummary(UUID planId, Instant at, String strategy, String level, long seedUpload, Instant validUntil,
                          double maxRemainingSeconds, double lowerBound, double gap, int iterations, double residual,
                          long solveNanos, int hosts, int swarmCount, double remainingBytes, double peerUpload,
                          String leader, long epoch) {
}
