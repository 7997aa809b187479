package io.bootswarm.common.events;

import org.jspecify.annotations.Nullable;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * allocator-service's split of the seed's upload {@code u_s} over the swarms, published every
 * period; seed-service shapes its upload by the newest plan still valid. All plans share one
 * constant key ({@link #KEY}), so they form one ordered stream; a consumer keeps the newest by
 * {@link #at()} and ignores a redelivered one (same {@link #planId()}). allocator-service makes it
 * from the solver's result (the allocation module's {@code AllocationSolution}).
 *
 * <p>The swarms of a plan are the piece groups the agents reported (one rate per group id, as
 * seed-service's {@code GET /api/v1/images/{id}/groups} names them); an ISO plan, or one made when
 * the reports carry no groups, has one rate per image instead.
 *
 * @param planId              the plan (also its id in allocator-service's history)
 * @param strategy            the strategy that made it: ISO, CROSS_EQU, CROSS_PROP, CROSS_OPT or EXACT
 * @param seedUpload          u_s, bytes per second; the rates sum to it
 * @param validUntil          after this the plan is stale: the seed falls back to its own split
 * @param maxRemainingSeconds M = max_i T_r^i, the predicted time until the slowest swarm is done
 *                            (+∞ when some swarm has neither peer nor seed upload)
 * @param iterations          solver iterations (0 for the fixed splits)
 * @param residual            Σ_i u_s^i − u_s, the rounding left in the constraint (bytes per second)
 * @param gap                 (M − lower bound) / M: how far from optimal the plan may be
 * @param rates               u_s^i per swarm
 */
public record AllocationPlan(UUID eventId, Instant at, UUID planId, String strategy, long seedUpload,
                             Instant validUntil, double maxRemainingSeconds, int iterations, double residual,
                             double gap, List<Rate> rates) implements BootswarmEvent {

    /** The key of every plan. */
    public static final String KEY = "allocation-plan";

    public AllocationPlan {
        rates = rates == null ? List.of() : List.copyOf(rates);
    }

    /**
     * The seed's rate for one swarm: a piece group ({@code groupId}) or, in image-level plans, an
     * image ({@code imageId}); exactly one of the two is set.
     *
     * @param bytesPerSecond u_s^i, ≥ 0
     */
    public record Rate(@Nullable String groupId, @Nullable UUID imageId, double bytesPerSecond) {

        public static Rate ofGroup(String groupId, double bytesPerSecond) {
            return new Rate(groupId, null, bytesPerSecond);
        }

        public static Rate ofImage(UUID imageId, double bytesPerSecond) {
            return new Rate(null, imageId, bytesPerSecond);
        }
    }

    @Override
    public String key() {
        return KEY;
    }
}
